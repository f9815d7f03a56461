#!/usr/bin/env bash
# Measures the README's run command: seconds from `./run.sh` to every resource healthy (warm build), and the RSS of
# the AppHost, Aspire's orchestrator (dcp, all its processes) and the dashboard once everything is up. Prints figures.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
dotnet build AppHost -v q -nologo >/dev/null

rss_kb() { # sum of VmRSS of the pids given
  local total=0
  for pid in "$@"; do
    [[ -r /proc/$pid/status ]] && total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status")))
  done
  echo "$total"
}

for i in $(seq "$runs"); do
  log=$(mktemp)
  start=$(date +%s.%N)
  setsid ./run.sh >"$log" 2>&1 &
  runner=$!
  until grep -q "resources are healthy" "$log"; do
    sleep 0.1
    if ! kill -0 "$runner" 2>/dev/null; then cat "$log"; exit 1; fi
  done
  ready=$(date +%s.%N)
  sleep 5 # let the dashboard and services settle before reading memory
  apphost=$(pgrep -f "AppHost/bin/.*/AppHost" | head -1 || true)
  dcp=$(pgrep -x dcp | tr '\n' ' ')
  dashboard=$(pgrep -f "Aspire.Dashboard" | tr '\n' ' ')
  services=$(pgrep -f "(BotService|Gateway|TelegramSandbox)/bin/.*/(BotService|Gateway|TelegramSandbox)$" | tr '\n' ' ' || true)
  printf 'run %d: %.1f s to all healthy (%s); RSS MB: AppHost %d, dcp (%d processes) %d, dashboard %d, services %d\n' \
    "$i" "$(awk "BEGIN {print $ready - $start}")" "$(grep -o 'All [0-9]* resources' "$log")" \
    $(( $(rss_kb $apphost) / 1024 )) "$(wc -w <<<"$dcp")" $(( $(rss_kb $dcp) / 1024 )) $(( $(rss_kb $dashboard) / 1024 )) $(( $(rss_kb $services) / 1024 ))
  kill -TERM -- -"$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  for _ in $(seq 60); do pgrep -x dcp >/dev/null || break; sleep 0.5; done
  rm -f "$log"
done
