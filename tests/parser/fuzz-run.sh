#!/usr/bin/env bash
# fuzz-run.sh SECONDS - run the parser fuzzer for SECONDS, seeded with the
# shared corpus when it is present. Used by `make fuzz` and t_fuzz.sh.
# Prints libFuzzer's log; exit status is libFuzzer's (0: nothing found).
# Crashes are written to build/fuzz/crashes/.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-600}
bin=$root/build/fuzz/fuzz_parser
corpus=$root/../shared/corpus
work=$root/build/fuzz/corpus
mkdir -p "$work" "$root/build/fuzz/crashes"
seeds=()
[ -d "$corpus" ] && seeds=("$corpus")
# -close_fd_mask=1: libytnef prints its complaints on stdout.
exec "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-close_fd_mask=1 -print_final_stats=1 \
	-artifact_prefix="$root/build/fuzz/crashes/" "$work" "${seeds[@]}"
