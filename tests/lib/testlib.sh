# testlib.sh - what every test script sources: record results, assert.
#
# A test script is tests/<area>/t_*.sh. It sources this file, runs its cases
# and records each with pass/fail/skip. tests/run.sh collects the records
# from $TM_RESULTS (one "pass|fail|skip<TAB>name<TAB>reason" line each) and
# prints the closing "N passed, N failed" line.

TM_ROOT=${TM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TM_BUILD=${TM_BUILD:-$TM_ROOT/build/asan}
TM_RESULTS=${TM_RESULTS:-/dev/null}
TM_SCRIPT=$(basename "$0" .sh)
TM_FAILED_HERE=0

# Sanitizers: fail hard, report leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TM_ROOT/tests/lib/lsan.supp:print_suppressions=0}

# record - append one result line
record() { printf '%s\t%s\t%s\n' "$1" "$TM_SCRIPT: $2" "${3:-}" >>"$TM_RESULTS"; }

# pass NAME - a case held
pass() { echo "  ok   $1"; record pass "$1"; }

# fail NAME REASON - a case did not hold
fail() { echo "  FAIL $1: ${2:-}"; record fail "$1" "${2:-}"; TM_FAILED_HERE=1; }

# skip NAME REASON - a case could not run here; never counted as passed
skip() { echo "  skip $1: ${2:-}"; record skip "$1" "${2:-}"; }

# check NAME CMD... - pass if CMD succeeds, fail with its output if not
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(printf '%s' "$out" | tail -n 5)"; fi
}

# check_eq NAME WANT GOT - pass if the two strings are equal
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want [$2], got [$3]"; fi
}

# readme_block NAME - the lines of the fenced block that follows README's
# marker "<!-- README example: NAME", without the list's indentation
readme_block() {
	awk -v name="$1" '
		{ line = $0; sub(/^ +/, "", line) }
		!want && (index(line, "<!-- README example: " name " ") == 1 || index(line, "<!-- README example: " name "-->") == 1) { want = 1; next }
		want && /^ *```/ { if (inside) exit; inside = 1; indent = match($0, /[^ ]/) - 1; next }
		inside { print substr($0, indent + 1) }
	' "$TM_ROOT/README.md"
}

# wait_for SECONDS CMD... - retry CMD every 0.2 s until it succeeds
wait_for() {
	local deadline=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# swaks ARGS - swaks, refusing an empty recipient: given "--to ''" (a value
# a failed earlier case left empty) swaks asks for one on its input, again
# and again at end of file, and the test would hang instead of failing.
# "--header Message-ID: ..." is spelled as swaks spells its own field, so
# that it replaces swaks' Message-Id instead of adding a second one (the
# first of two counts)
swaks() {
	local prev= arg args=()
	for arg in "$@"; do
		if [ "$prev" = --to ] && [ -z "$arg" ]; then
			echo "swaks: no recipient (an earlier step failed)" >&2
			return 2
		fi
		case $arg in Message-ID:*) arg="Message-Id:${arg#Message-ID:}" ;; esac
		args+=("$arg")
		prev=$arg
	done
	command swaks "${args[@]}"
}
