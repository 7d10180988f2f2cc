#!/usr/bin/env bash
# bench_parser.sh - the "## Parser" section of BENCHMARKS.md: parse_bench
# over every message of the shared corpus (../shared/corpus), normalization
# against gmime's bare parse in the same run.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/../shared/corpus
bin=$root/build/bench/parse_bench
echo "## Parser"
echo
if [ ! -d "$corpus" ]; then echo "Corpus absent (../shared/corpus): not measured."; exit 0; fi
list=$(cd "$corpus" && find . -type f \( -name '*.msg' -o -name '*.eml' -o -path '*/messages/*.txt' \
	-o -name '*.mbox.txt' -o -name 'mbox.rlug*' \) ! -name '*_decoded_*' | sort)
res=$(cd "$corpus" && "$bin" -n "${BENCH_ROUNDS:-20}" $list)
get() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' <<<"$res"; }
# The same without the messages that carry a winmail.dat: each of those
# forks the TNEF reader (parser/tnef.c), a fixed cost per such message.
tnef=$(cd "$corpus" && grep -lis 'ms-tnef' $list | wc -l)
res2=$(cd "$corpus" && "$bin" -n "${BENCH_ROUNDS:-20}" $(grep -Lis 'ms-tnef' $list))
ratio2=$(awk -F'\t' '$1 == "ratio" { print $2 }' <<<"$res2")
cat <<MD
\`make bench\` on $(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),
normal build (-O2). $(get files) corpus messages, $(get bytes) bytes, $(get rounds) rounds; both
measured in the same run, interleaved per round (bench/parse_bench.c).

| what | MB/s | messages/s |
|---|---|---|
| gmime bare parse (\`g_mime_parser_construct_message\` only) | $(get gmime_bare_MBps) | $(get gmime_bare_msgps) |
| whole normalization (\`mail_parse_bytes\`) | $(get parser_MBps) | $(get parser_msgps) |

Ratio normalization / bare parse: **$(get ratio)x** (target: at most 2x);
without the $tnef messages that carry a winmail.dat (each forks the TNEF
reader, see parser/tnef.c): ${ratio2}x.

Peak memory of one parse (RSS growth in a fresh child process):

| message | bytes | peak growth | multiple of size |
|---|---|---|---|
| largest corpus message | $(get largest_bytes) | $(get largest_peak_rss_growth) | $(get largest_peak_multiple) |
| generated: text + HTML + 8 MiB base64 attachment | $(get synthetic_bytes) | $(get synthetic_peak_rss_growth) | $(get synthetic_peak_multiple) |
MD
