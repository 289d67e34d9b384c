#!/usr/bin/env bash
# Lint throughput on 1,000 real-sized policies: the 170 documents of
# tests/realworld (written from published policies), copied round-robin
# with distinct names into a scratch directory, linted in one run with the
# full catalogue. Prints documents per second (median of 5 runs).
#
#   bench/lint-speed.sh            # uses target/release/ramcheck
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/ramcheck
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
docs=(tests/realworld/[0-9]*.json)
for i in $(seq 0 999); do
  src=${docs[$((i % ${#docs[@]}))]}
  cp "$src" "$dir/p$i.json"
done
bytes=$(cat "$dir"/*.json | wc -c)
times=()
for run in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$bin" lint "$dir" --fail-on never --format json >/dev/null
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc -l)")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
printf '1000 documents (%s bytes): median %.3f s, %.0f documents/s\n' \
  "$bytes" "$median" "$(echo "1000 / $median" | bc -l)"
