#!/usr/bin/env bash
# `ramcheck generate` at log scale (docs/generate.md, "Scale"): synthetic
# ActionTrail JSON lines for one RAM user over 200 IMM projects and 40 OSS
# buckets (examples/actiontrail_events.rs), 5,000, 50,000 and 1,000,000
# events, each timed in release with peak memory from `/usr/bin/time -v`;
# and Python's json.loads, one line at a time, over the same 50,000 lines.
# Figures are the median of 3 runs (1 run for 1,000,000); at 50,000 the
# ramcheck and Python runs alternate, so that load from other processes
# falls on both alike. CPU time (user + system) is shown next to wall time.
#
#   bench/generate-speed.sh            # needs /usr/bin/time (Debian: apt-get install time)
#   SIZES="5000 50000" bench/generate-speed.sh
#
# Targets (issue 12): 50,000 events no slower than json.loads; 5,000 →
# 50,000 grows at most 12×; 1,000,000 completes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then
  echo "bench/generate-speed.sh needs GNU time: apt-get install -y time" >&2
  exit 2
fi
cargo build --release --quiet --bin ramcheck --example actiontrail_events
bin=target/release/ramcheck
gen=target/release/examples/actiontrail_events
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sizes=${SIZES:-"5000 50000 1000000"}

# One run: prints "<wall seconds> <user+sys seconds> <peak KiB>".
measure() {
  /usr/bin/time -v "$@" >/dev/null 2>"$dir/time.txt" || {
    cat "$dir/time.txt" >&2
    exit 1
  }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; wall = s }
    /User time/ { cpu += $2 }
    /System time/ { cpu += $2 }
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.3f %.3f %d\n", wall, cpu, rss }' "$dir/time.txt"
}

# The median of `runs` measurements.
median_of() {
  local runs=$1
  shift
  for _ in $(seq "$runs"); do measure "$@"; done | sort -g | sed -n "$(((runs + 1) / 2))p"
}

printf '%-10s %10s %10s %12s %10s\n' events wall_s cpu_s peak_MiB bytes
declare -A wall
for n in $sizes; do
  "$gen" "$n" >"$dir/events-$n.jsonl"
  bytes=$(wc -c <"$dir/events-$n.jsonl")
  runs=3
  [ "$n" -ge 1000000 ] && runs=1
  read -r w c rss < <(median_of "$runs" "$bin" generate --from "$dir/events-$n.jsonl" \
    --principal user/alice --quiet --output "$dir/policy.json")
  wall[$n]=$w
  printf '%-10s %10s %10s %12.1f %10s\n' "$n" "$w" "$c" "$(echo "$rss / 1024" | bc -l)" "$bytes"
done

if [ -f "$dir/events-50000.jsonl" ]; then
  py='
import json, sys
with open(sys.argv[1]) as f:
    for line in f:
        json.loads(line)
'
  : >"$dir/rc.txt"
  : >"$dir/py.txt"
  for _ in 1 2 3; do
    measure "$bin" generate --from "$dir/events-50000.jsonl" --principal user/alice --quiet \
      --output "$dir/policy.json" >>"$dir/rc.txt"
    measure python3 -c "$py" "$dir/events-50000.jsonl" >>"$dir/py.txt"
  done
  read -r rw rc rrss < <(sort -g "$dir/rc.txt" | sed -n 2p)
  read -r pw pc prss < <(sort -g "$dir/py.txt" | sed -n 2p)
  rcpu=$(sort -g -k2 "$dir/rc.txt" | sed -n 2p | cut -d' ' -f2)
  pcpu=$(sort -g -k2 "$dir/py.txt" | sed -n 2p | cut -d' ' -f2)
  printf 'alternating at 50000: ramcheck %s s wall, %s s CPU; python3 json.loads %s s wall, %s s CPU (peak %.1f MiB)\n' \
    "$rw" "$rcpu" "$pw" "$pcpu" "$(echo "$prss / 1024" | bc -l)"
  wall[50000]=$rw
  verdict=$(echo "$rw <= $pw" | bc -l)
  printf '50,000 events: ramcheck %s s, json.loads %s s (wall): %s\n' "$rw" "$pw" \
    "$([ "$verdict" = 1 ] && echo "target met" || echo "target MISSED")"
fi
if [ -n "${wall[5000]:-}" ] && [ -n "${wall[50000]:-}" ]; then
  ratio=$(echo "${wall[50000]} / ${wall[5000]}" | bc -l)
  printf '5,000 -> 50,000 events: %.1fx (target: at most 12x)\n' "$ratio"
fi
