# lib.sh - what the bench sections share: the median and the ratio
# of their figures. Sourced by bench/bench_*.sh.

# median X... - the median of the numbers given ("-" ignored)
median() { printf '%s\n' "$@" | grep -v '^-$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }
# ratio A B - A / B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
