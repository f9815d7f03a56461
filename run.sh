#!/usr/bin/env bash
# Brings the whole mesh up locally: installs what is missing, then starts the Aspire AppHost (dashboard URL printed).
# Extra arguments go to the AppHost, e.g. ./run.sh --LocalStores:Fresh=true to start from empty stores.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh
exec dotnet run --project AppHost --launch-profile http -- "$@"
