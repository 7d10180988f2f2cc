#!/usr/bin/env bash
# t_fuzz.sh - a bounded fuzz run (FUZZ_TEST_SECONDS, default 60) of the
# parser: no crash, leak, sanitizer report or timeout. Needs the fuzzer
# built (make build/fuzz/fuzz_parser; clang and libclang-rt).
. "$(dirname "$0")/../lib/testlib.sh"

seconds=${FUZZ_TEST_SECONDS:-60}
if ! make -C "$TM_ROOT" -s build/fuzz/fuzz_parser >/dev/null 2>&1; then
	skip fuzz "cannot build the fuzzer (clang with libFuzzer missing?)"
	exit 0
fi
[ -d "$TM_ROOT/../shared/corpus" ] || echo "  (no corpus: fuzzing without seeds)"
log=$(mktemp /tmp/tm-fuzz.XXXXXX)
if bash "$TM_ROOT/tests/parser/fuzz-run.sh" "$seconds" >"$log" 2>&1; then
	echo "  $(grep -m1 "stat::number_of_executed_units" "$log")"
	pass "fuzz ${seconds}s"
else
	fail "fuzz ${seconds}s" "$(grep -m3 -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log")"
fi
rm -f "$log"
