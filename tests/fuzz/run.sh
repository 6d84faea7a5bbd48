#!/usr/bin/env bash
# The fuzz targets of tests/fuzz (README.md there): build them all, replay the regressions, fuzz
# each target for a while, and print one line per target.
#
#   bash tests/fuzz/run.sh                      # 20 s per target (CI)
#   bash tests/fuzz/run.sh --seconds 300        # 5 min per target
#   bash tests/fuzz/run.sh --runs 10000000      # the long run: 10 million executions per target
#   bash tests/fuzz/run.sh --runs 0             # build and replay the regressions only
#   bash tests/fuzz/run.sh --seconds 60 sacct tres   # some targets only
#   bash tests/fuzz/run.sh --runs 10000000 --keep-going webhook_omise
#                                               # go on past crashes (libFuzzer's fork mode) and
#                                               # count them, e.g. while a known one is unfixed
#
# Builds go to ${CARGO_TARGET_DIR:-target}/fuzz (kept between runs, outside the sources), as do the
# corpora the fuzzer grows (fuzz/corpus/<target>, started from the seeds in tests/fuzz/corpus),
# the crash inputs (fuzz/artifacts/<target>/) and the full logs (fuzz/logs/<target>.log).
# FUZZ_SANITIZER=address builds with AddressSanitizer (slower; the default is none: the code
# under test is safe Rust, and a panic is what the targets look for). Exits 1 on any crash.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

mode=seconds
amount=20
keep_going=0
targets=()
while (($#)); do
    case "$1" in
        --seconds | --runs)
            [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { echo "$1 needs a whole number" >&2; exit 2; }
            mode="${1#--}"
            amount="$2"
            shift 2
            ;;
        --keep-going)
            keep_going=1
            shift
            ;;
        -h | --help)
            sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "unknown option $1 (try --help)" >&2
            exit 2
            ;;
        *)
            targets+=("$1")
            shift
            ;;
    esac
done

target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" == /* ]] || target_dir="$root/$target_dir"
fuzz_dir="$target_dir/fuzz"
sanitizer="${FUZZ_SANITIZER:-none}"
mkdir -p "$fuzz_dir"

# the tools: a nightly toolchain (libFuzzer needs -Z flags) and cargo-fuzz
if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: installing the nightly toolchain" >&2
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version > /dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

cd "$here"
known=()
while IFS= read -r name; do known+=("$name"); done < <(cargo +nightly fuzz list)
if ((${#targets[@]} == 0)); then
    targets=("${known[@]}")
fi
for target in "${targets[@]}"; do
    [[ " ${known[*]} " == *" $target "* ]] || { echo "unknown target $target (targets: ${known[*]})" >&2; exit 2; }
done

started=$(date +%s)
cargo +nightly fuzz build --sanitizer "$sanitizer" --target-dir "$fuzz_dir"
echo "fuzz: built ${#known[@]} targets in $(($(date +%s) - started)) s (sanitizer: $sanitizer)"
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
bin_dir="$fuzz_dir/$triple/release"

failed=0

# the regressions: every input that once crashed a target, run once each
for target in "${targets[@]}"; do
    cases=()
    if [[ -d "regressions/$target" ]]; then
        while IFS= read -r -d '' file; do cases+=("$file"); done \
            < <(find "regressions/$target" -type f ! -name '*.md' -print0 | sort -z)
    fi
    ((${#cases[@]})) || continue
    if "$bin_dir/$target" "${cases[@]}" > "$fuzz_dir/regressions-$target.log" 2>&1; then
        echo "fuzz: $target: ${#cases[@]} regression input(s) pass"
    else
        echo "fuzz: $target: a regression input fails again (log: $fuzz_dir/regressions-$target.log)"
        grep -E "Running:|panicked at|^SUMMARY" "$fuzz_dir/regressions-$target.log" | tail -5 | sed 's/^/    /'
        failed=1
    fi
done

if [[ "$mode" == runs && "$amount" == 0 ]]; then
    exit "$failed"
fi

limit=("-max_total_time=$amount")
[[ "$mode" == runs ]] && limit=("-runs=$amount")
((keep_going)) && limit+=(-fork=1 -ignore_crashes=1)
mkdir -p "$fuzz_dir/logs"
printf '%-16s %14s %10s %8s\n' target executions seconds crashes
for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_dir/logs/$target.log"
    mkdir -p "$corpus" "$artifacts" "corpus/$target"
    before=$(find "$artifacts" -type f | wc -l)
    begin=$(date +%s)
    status=0
    "$bin_dir/$target" "${limit[@]}" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" "corpus/$target" > "$log" 2>&1 || status=$?
    wall=$(($(date +%s) - begin))
    if ((keep_going)); then
        # fork mode: "#N: cov: … oom/timeout/crash: …" after each job, then "INFO: exiting: C
        # time: Ss"; every crash, timeout or OOM of a job prints its "ERROR: libFuzzer" line
        runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
        seconds=$(sed -n 's/^INFO: exiting: .* time: \([0-9]*\)s$/\1/p' "$log" | tail -1)
        crashes=$(grep -c 'ERROR: libFuzzer' "$log" || true)
    else
        # libFuzzer's last words: "Done N runs in S second(s)" when it ran to the end, and in
        # any case the final stats (stat::number_of_executed_units)
        runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
        seconds=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
        [[ -n "$runs" ]] || runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$log" | tail -1)
        [[ -n "$runs" ]] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
        crashes=$(($(find "$artifacts" -type f | wc -l) - before))
        ((status == 0 || crashes > 0)) || crashes=1
    fi
    printf '%-16s %14s %10s %8s\n' "$target" "${runs:-?}" "${seconds:-$wall}" "$crashes"
    if ((crashes > 0)); then
        failed=1
        grep -E "panicked at|^SUMMARY|Test unit written to|ERROR: libFuzzer" "$log" | head -5 | sed 's/^/    /'
    fi
done
exit "$failed"
