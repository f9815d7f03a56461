#!/usr/bin/env bash
# Installs what Mesh needs beyond the .NET SDK, only what is missing (idempotent):
#   redis-server and postgresql (the local stores), chromium (browser tests, with --browser), nginx (the benchmark's
#   Bot API stand-in, with --bench), and Node with the grammY package of the benchmark's reference bot (with --bench;
#   npm's registry, and a failure there only leaves that reference out).
set -euo pipefail

want_browser=false
want_bench=false
for arg in "$@"; do
  [[ "$arg" == "--browser" ]] && want_browser=true
  [[ "$arg" == "--bench" ]] && want_bench=true
done

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ! command -v postgres >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  missing+=(postgresql)
fi
# The browser tests launch /usr/bin/chromium (Debian's): a chromium elsewhere on PATH does not count.
if $want_browser && [[ ! -x /usr/bin/chromium ]]; then
  missing+=(chromium)
fi
if $want_bench && [[ ! -x /usr/sbin/nginx ]]; then
  missing+=(nginx-light)
fi
if $want_bench && ! command -v npm >/dev/null 2>&1; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  missing+=(npm)
fi

# The benchmark's grammY reference bot (bench/UpdatePath.Bench/reference-grammy): its locked packages, once.
install_grammy() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/bench/UpdatePath.Bench/reference-grammy"
  [[ -d "$dir/node_modules/grammy" ]] && return 0
  echo "installing: the grammY reference bot's packages (npm ci)" >&2
  (cd "$dir" && npm ci --no-audit --no-fund >/dev/null 2>&1) || echo "npm ci failed in $dir: the benchmark runs without the grammY reference" >&2
}

if ((${#missing[@]} == 0)); then
  if $want_bench; then install_grammy; fi
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root to install: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for the package manager's lock (a fresh machine's daily apt run may hold it) rather than fail at once.
apt=($sudo apt-get -o DPkg::Lock::Timeout=600)
# Debian starts the packaged servers as system services; Mesh runs its own. Only those this install starts are
# stopped again: a server that was already running is the machine owner's.
running=()
if command -v systemctl >/dev/null 2>&1; then
  for service in redis-server postgresql nginx; do
    systemctl is-active --quiet "$service" 2>/dev/null && running+=("$service")
  done
fi
if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  "${apt[@]}" update -qq >/dev/null
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
if command -v systemctl >/dev/null 2>&1; then
  for service in redis-server postgresql nginx; do
    if [[ " ${running[*]} " != *" $service "* ]] && systemctl is-active --quiet "$service" 2>/dev/null; then
      $sudo systemctl stop "$service" || true
    fi
  done
fi
if $want_bench; then install_grammy; fi
