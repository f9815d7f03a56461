#!/usr/bin/env bash
# Installs what Mesh needs beyond the .NET SDK, only what is missing (idempotent):
#   redis-server and postgresql (the local stores), chromium (browser tests, with --browser), nginx (the benchmark's
#   Bot API stand-in, with --bench), and Node with the packages of the benchmark's reference bots (with --bench;
#   from npm's registry; a failure there only leaves those references out).
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

# The benchmark's reference bots on Node (bench/UpdatePath.Bench/reference-node: grammY, Telegraf): Node (Debian's,
# when there is none on the PATH) and their locked packages, installed again only when the lock file changed. Any
# failure here leaves those references out, with a warning: the rest of the benchmark does not need them.
install_node_references() {
  local dir log
  dir="$(cd "$(dirname "$0")/.." && pwd)/bench/UpdatePath.Bench/reference-node"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    local node=()
    command -v node >/dev/null 2>&1 || node+=(nodejs)
    command -v npm >/dev/null 2>&1 || node+=(npm)
    echo "installing: ${node[*]} (the benchmark's Node references)" >&2
    if ! install_packages "${node[@]}"; then
      echo "could not install ${node[*]}: the benchmark runs without the Node references" >&2
      return 0
    fi
  fi
  # npm ci records what it installed in node_modules/.package-lock.json: the same packages as the lock file, nothing to do.
  if [[ -f "$dir/node_modules/.package-lock.json" ]] && cmp -s <(grep -E '"(version|integrity)"' "$dir/package-lock.json") <(grep -E '"(version|integrity)"' "$dir/node_modules/.package-lock.json"); then
    return 0
  fi
  echo "installing: the Node reference bots' packages (npm ci)" >&2
  log="$dir/npm-ci.log"
  if ! (cd "$dir" && npm ci --no-audit --no-fund >"$log" 2>&1); then
    echo "npm ci failed in $dir (see $log): the benchmark runs without the Node references" >&2
  fi
}

export DEBIAN_FRONTEND=noninteractive
# Installs the Debian packages given with apt, as root (sudo when not), leaving the servers they start stopped; fails
# (returns 1) when they could not be installed. Each step checks its own status: callers test this one in an `if`,
# where `set -e` does not act.
install_packages() {
  local sudo="" apt running=() service
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root to install: $* (sudo apt-get install -y $*)" >&2; return 1; }
    sudo="sudo"
  fi
  # Wait for the package manager's lock (a fresh machine's daily apt run may hold it) rather than fail at once.
  apt=($sudo apt-get -o DPkg::Lock::Timeout=600)
  # Debian starts the packaged servers as system services; Mesh runs its own. Only those this install starts are
  # stopped again: a server that was already running is the machine owner's.
  if command -v systemctl >/dev/null 2>&1; then
    for service in redis-server postgresql nginx; do
      systemctl is-active --quiet "$service" 2>/dev/null && running+=("$service")
    done
  fi
  if ! "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null 2>&1; then
    "${apt[@]}" update -qq >/dev/null || return 1
    "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null || return 1
  fi
  if command -v systemctl >/dev/null 2>&1; then
    for service in redis-server postgresql nginx; do
      if [[ " ${running[*]} " != *" $service "* ]] && systemctl is-active --quiet "$service" 2>/dev/null; then
        $sudo systemctl stop "$service" || true
      fi
    done
  fi
  return 0
}

if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}" >&2
  install_packages "${missing[@]}" || exit 1
fi
if $want_bench; then install_node_references; fi
