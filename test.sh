#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs all test projects, prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh --browser || exit 1
log=$(mktemp)
dotnet test --solution Mesh.sln "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
echo "${passed:-0} passed, ${failed:-0} failed"
rm -f "$log"
exit "$status"
