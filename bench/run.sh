#!/usr/bin/env bash
# run.sh - run every benchmark section (bench/bench_*.sh) and put what each
# prints into BENCHMARKS.md under its own "## <Section>" heading, leaving the
# other sections as they are. A section script prints its heading first.
# BENCH=pattern runs only the sections whose file name matches.
# BENCH_SECTIONS="parser auth" runs only bench/bench_parser.sh and
# bench/bench_auth.sh.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=BENCHMARKS.md
[ -f "$out" ] || printf '# Benchmarks\n\nWritten by `make bench`; numbers, never pass/fail.\n' >"$out"
new=$(mktemp)
trap 'rm -f "$new"' EXIT
for section in bench/bench_*.sh; do
	[ -f "$section" ] || continue
	case "$section" in *${BENCH:-}*) ;; *) continue ;; esac
	if [ -n "${BENCH_SECTIONS:-}" ]; then
		name=${section#bench/bench_}
		case " $BENCH_SECTIONS " in *" ${name%.sh} "*) ;; *) continue ;; esac
	fi
	bash "$section" >"$new" || { echo "bench: $section failed" >&2; continue; }
	cat "$new"
	# Replace the old section (its heading up to the next "## ") or append.
	awk -v newfile="$new" '
		NR == 1 { getline heading < newfile; close(newfile) }
		$0 == heading { skip = 1; done = 1; while ((getline l < newfile) > 0) print l; print ""; next }
		skip && /^## / { skip = 0 }
		!skip { print }
		END { if (!done) { print ""; while ((getline l < newfile) > 0) print l } }
	' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
done
