#!/usr/bin/env bash
# A/B of the update path: runs the update-path benchmark (bench/UpdatePath.Bench) for two variants in turn, in ABBA
# order (on the development machine B was the faster in 10 of 13 A/A pairs, 7 of 10 taken AB, AB, …), and prints each
# run's figures, then the medians. The 13 A/A pairs on 2026-12-06 (the same build twice) gave B/A ratios of the
# sustained rate from -11.6 % to +20.4 %: one pair tells nothing about a change of a few %. A variant is a build of the
# benchmark (and so of the services next to it: a git worktree of another commit) and/or settings passed to --set
# (configuration keys or DOTNET_ variables, "bot/…" or "gateway/…" for one service).
#
#   bench/ab.sh [-n PAIRS] [--seconds S] [--senders N] [--a-set "K=V;…"] [--b-set "K=V;…"] [--a-dll PATH] [--b-dll PATH]
#
# Rates move by 10–20 % between runs of the same tree on a shared machine: read the counts (context switches, allocations,
# thread-pool work items per update), which move by a few %, and the median of several pairs, not one run.
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=3 seconds=20 senders=40 a_set="" b_set=""
default_dll=bench/UpdatePath.Bench/bin/Release/net10.0/UpdatePath.Bench.dll
a_dll=$default_dll b_dll=$default_dll
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) pairs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --senders) senders=$2; shift 2 ;;
    --a-set) a_set=$2; shift 2 ;;
    --b-set) b_set=$2; shift 2 ;;
    --a-dll) a_dll=$2; shift 2 ;;
    --b-dll) b_dll=$2; shift 2 ;;
    *) echo "unknown argument: $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
if [[ "$a_dll" == "$b_dll" && "$a_set" == "$b_set" ]]; then
  echo "note: A and B are the same variant (an A/A run: it measures the noise)" >&2
fi
if [[ ! -f "$default_dll" && ( "$a_dll" == "$default_dll" || "$b_dll" == "$default_dll" ) ]]; then
  dotnet build -c Release bench/UpdatePath.Bench -v q -nologo >/dev/null
fi
for dll in "$a_dll" "$b_dll"; do
  [[ -f "$dll" ]] || { echo "no benchmark build at $dll (dotnet build -c Release bench/UpdatePath.Bench in that tree)" >&2; exit 1; }
done

out=$(mktemp -d)
results="$out/results.tsv"
run() { # variant pair
  local variant=$1 pair=$2 dll set log
  if [[ $variant == A ]]; then dll=$a_dll set=$a_set; else dll=$b_dll set=$b_set; fi
  log="$out/$variant$pair.txt"
  dotnet "$dll" --seconds "$seconds" --idle-seconds 0 --warmup-seconds 8 --senders "$senders" ${set:+--set "$set"} >"$log" 2>&1 \
    || { echo "run $variant$pair failed; its output: $log" >&2; tail -20 "$log" >&2; exit 1; }
  # One line per run: the figures of the benchmark's table (one sender count, so one table).
  awk -v v="$variant" -v p="$pair" '
    /^sustained rate/ { ceiling = $4; sustained = $5; ratio = $6 }
    /^ack p99 \(ms\)/ { p99 = $5 }
    /^CPU ms per update/ { cpu = $6 }
    /^context switches per update/ { swgw = $6; swbot = $8 }
    /^managed allocations per update/ { allocbot = $9 }
    /^thread-pool work items per update/ { wibot = $9 }
    /^GC pauses per 1,000 updates/ { pausegw = $7; pausebot = $10 }
    /^replies delivered/ { split($5, d, "/"); lost = d[2] - d[1] }
    END { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v, p, ceiling, sustained, ratio, p99, cpu, swgw, swbot, allocbot, wibot, pausegw, pausebot, lost }
  ' "$log" | tee -a "$results" | awk -F'\t' '{ printf "%s%-3s ceiling %8.0f  sustained %8.0f (%5.1f %%)  p99 %5.1f ms  CPU %.3f ms/update  switches gw %s bot %s  bot alloc %s KB  bot work items %s  GC pause ms/1,000 gw %s bot %s  unanswered %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 }'
}

echo "A: ${a_dll}${a_set:+ --set \"$a_set\"}"
echo "B: ${b_dll}${b_set:+ --set \"$b_set\"}"
echo "$pairs pairs of $seconds s runs at $senders senders, ABBA order; logs in $out"
for pair in $(seq "$pairs"); do
  if (( pair % 2 == 1 )); then run A "$pair"; run B "$pair"; else run B "$pair"; run A "$pair"; fi
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column_of() { awk -F'\t' -v v="$1" -v c="$2" '$1 == v { print $c }' "$results"; }
echo
printf '%-26s %12s %12s\n' "median of the runs" A B
for figure in "sustained updates/s:4" "ratio to the ceiling %:5" "ack p99 ms:6" "CPU ms per update:7" "gateway switches/update:8" "bot switches/update:9" "bot KB per update:10" "bot work items/update:11" "gw GC pause ms/1,000:12" "bot GC pause ms/1,000:13"; do
  name=${figure%%:*} col=${figure##*:}
  printf '%-26s %12s %12s\n' "$name" "$(column_of A "$col" | median)" "$(column_of B "$col" | median)"
done
# The pairs' own ratios: each B against the A run next to it, so a drift of the machine's speed over the runs cancels.
pair_ratios() { awk -F'\t' -v c="$1" '{ x[$1 $2] = $c } END { for (k in x) if (substr(k, 1, 1) == "B") { p = substr(k, 2); if (x["A" p] > 0) printf "%.4f\n", x[k] / x["A" p] } }' "$results"; }
echo "B/A per pair, median: sustained $(pair_ratios 4 | median), CPU per update $(pair_ratios 7 | median), ack p99 $(pair_ratios 6 | median)"
