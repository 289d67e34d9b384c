#!/usr/bin/env bash
# Runs every fuzz target in turn, one at a time, single job.
# Usage: fuzz/run-all.sh [SECONDS_POLICY_JSON] [SECONDS_OTHERS] [TARGET...]
#   SECONDS_OTHERS is for evaluate, wildcard, store, rpc and analysis. Naming targets
#   runs only those (in the order given), e.g. `run-all.sh 300 300 store rpc`.
# Logs: fuzz/logs/<target>.log (libFuzzer's own output, from -jobs=1's fuzz-0.log).
set -u
cd "$(dirname "$0")"
long=${1:-300}
short=${2:-180}
shift $(( $# < 2 ? $# : 2 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(policy json evaluate wildcard store rpc analysis)
fi
export RUSTC_BOOTSTRAP=1 CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
mkdir -p logs
status=0
for t in "${targets[@]}"; do
    case $t in
        policy|json) secs=$long ;;
        *) secs=$short ;;
    esac
    extra=()
    case $t in
        policy|evaluate) extra=(-dict=dicts/policy.dict -max_len=8192) ;;
        json) extra=(-dict=dicts/policy.dict) ;;
        # The work bound is checked on inputs up to 64 KiB.
        wildcard) extra=(-max_len=65536) ;;
        store) extra=(-dict=dicts/store.dict -max_len=16384) ;;
        rpc) extra=(-dict=dicts/rpc.dict) ;;
        analysis) extra=(-dict=dicts/policy.dict -max_len=4096) ;;
    esac
    mkdir -p "corpus/$t"
    rm -f fuzz-0.log
    echo "== $t: ${secs}s"
    cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -jobs=1 -print_final_stats=1 "${extra[@]}" \
        > "logs/$t.cargo.log" 2>&1 || status=1
    mv -f fuzz-0.log "logs/$t.log" 2>/dev/null
    tail -n 3 "logs/$t.log"
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|Done|stat::|==[0-9]+==|thread .* panicked|SUMMARY)' "logs/$t.log" || true
    echo "corpus/$t: $(ls "corpus/$t" | wc -l) files"
    ls "artifacts/$t" 2>/dev/null
done
exit $status
