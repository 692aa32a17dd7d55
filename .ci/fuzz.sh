#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ briefly: NRFCLOUD_FUZZ_SECONDS (default 20) seconds
# each, one after another, each over a copy of its seed corpus (fuzz/corpus/<target>), so the
# checkout is not written to (except fuzz/artifacts/<target>/, ignored by git, which keeps the
# input of a crash). One summary line per target; exits non-zero when any target crashed
# (panic, sanitizer report, timeout or out-of-memory). Needs a nightly toolchain; without one
# it skips, and exits 0.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
seconds=${NRFCLOUD_FUZZ_SECONDS:-20}
# One input taking longer than this is reported as a crash (a hang).
per_input_timeout=${NRFCLOUD_FUZZ_TIMEOUT:-20}

if ! command -v rustup >/dev/null 2>&1 || ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: no nightly toolchain, fuzz targets skipped"
    exit 0
fi

tools="$root/.ci/.tools/cargo"
export PATH="$tools/bin:$PATH"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz under .ci/.tools/cargo"
    cargo install --root "$tools" cargo-fuzz --locked
fi

cd "$root/fuzz"
echo "fuzz: building the targets ($(cargo +nightly fuzz --version))"
cargo +nightly fuzz build

# The corpus copies, logs and the journal target's temporary files: in memory when /dev/shm is
# there (the journal target syncs its file to disk on every input).
if [[ -d /dev/shm && -w /dev/shm ]]; then
    work=$(mktemp -d -p /dev/shm nrfcloud-fuzz.XXXXXX)
else
    work=$(mktemp -d -t nrfcloud-fuzz.XXXXXX)
fi
trap 'rm -rf "$work"' EXIT

mapfile -t targets < <(cargo +nightly fuzz list)
failed=()
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    mkdir -p "$corpus"
    if [[ -d "corpus/$target" ]]; then
        cp -R "corpus/$target/." "$corpus/"
    fi
    log="$work/$target.log"
    start=$SECONDS
    status=0
    TMPDIR="$work" cargo +nightly fuzz run "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout="$per_input_timeout" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    took=$((SECONDS - start))
    executions=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [[ -z "$executions" ]]; then
        # No final stats (a crash can end the run first): the last "#N" status line.
        executions=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
    fi
    if [[ $status -eq 0 ]]; then
        crashes=0
    else
        crashes=1
        failed+=("$target")
    fi
    echo "fuzz $target: ${executions:-0} executions in $took s, $crashes crashes"
    if [[ $status -ne 0 ]]; then
        mkdir -p "artifacts/$target"
        cp "$log" "artifacts/$target/libfuzzer.log"
        echo "---- fuzz $target: exit status $status; what went wrong:"
        grep -E -A4 "panicked at|==[0-9]+==ERROR|^SUMMARY|ERROR: libFuzzer" "$log" | head -n 40 || true
        echo "---- the end of libFuzzer's output:"
        tail -n 40 "$log"
        echo "---- the input and the whole output are kept under fuzz/artifacts/$target/"
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: crashes in ${failed[*]}"
    exit 1
fi
