#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs all test projects, prints "N passed, N failed".
# The totals line is printed whatever happens: a failed install or build, or a run cut off by the overall timeout
# (MESH_TEST_TIMEOUT, 75 minutes: inside CI's 90; when not at a terminal), counts as at least one failure.
set -uo pipefail
cd "$(dirname "$0")"
if ! scripts/install-prerequisites.sh --browser; then
  echo "0 passed, 1 failed (installing the prerequisites failed)"
  exit 1
fi
log=$(mktemp)
# At a terminal, no timeout: timeout(1) runs the tests in a process group of their own, which Ctrl+C would not reach.
limit=()
[[ -t 0 ]] || limit=(timeout --kill-after=30s "${MESH_TEST_TIMEOUT:-75m}")
"${limit[@]}" dotnet test --solution Mesh.sln "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
passed=${passed:-0}
failed=${failed:-0}
note=""
if [[ "$status" -ne 0 && "$failed" -eq 0 ]]; then
  # No failed test counted, yet the run failed: the build, a crashed test host, or the timeout (124).
  failed=1
  note=" (the run failed outside the tests' own counts: exit code $status$([[ "$status" -eq 124 ]] && echo ", timed out"))"
fi
echo "$passed passed, $failed failed$note"
rm -f "$log"
exit "$status"
