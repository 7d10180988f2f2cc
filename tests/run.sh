#!/usr/bin/env bash
# run.sh - run every test: the cmocka unit programs, then each test script
# (tests/*/t_*.sh), and end with the line "N passed, N failed[, N skipped]".
# Exit status 1 on any failure. TESTS="pattern" runs only matching scripts.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export TM_ROOT=$root TM_BUILD=${TM_BUILD:-$root/build/asan}
export TM_RESULTS=$(mktemp /tmp/tm-results.XXXXXX)
trap 'rm -f "$TM_RESULTS"' EXIT
. tests/lib/testlib.sh

# run_unit - run one cmocka program; each of its cases is one result
run_unit() {
	local bin=$1 name out rc
	name=$(basename "$bin")
	echo "== $name"
	out=$(CMOCKA_MESSAGE_OUTPUT=stdout "$bin" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^\[ +(OK|FAILED|ERROR|SKIPPED) +\]' | grep -v 'test(s)' || true
	printf '%s\n' "$out" | awk -v n="$name" '
		/^\[       OK \]/ { printf "pass\t%s: %s\t\n", n, $4 }
		/^\[  FAILED  \] [^0-9]/ { printf "fail\t%s: %s\t\n", n, $4 }
		/^\[  ERROR   \]/ { printf "fail\t%s: %s\terror\n", n, $4 }
		/^\[  SKIPPED \]/ { printf "skip\t%s: %s\t\n", n, $4 }' >>"$TM_RESULTS"
	# A crash or sanitizer report outside a case still fails the program.
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^\[  FAILED  \]'; then
		printf '%s\n' "$out" | tail -n 30
		printf 'fail\t%s\texit status %s\n' "$name" "$rc" >>"$TM_RESULTS"
	fi
}

scripts=()
for script in tests/*/t_*.sh; do
	case "$script" in *${TESTS:-}*) scripts+=("$script") ;; esac
done

# The real services, once for the integration scripts; stopped whatever happens.
if printf '%s\n' "${scripts[@]}" | grep -qE '^tests/(integration|sql)/'; then
	. tests/lib/env.sh
	trap 'env_down; rm -f "$TM_RESULTS"' EXIT
	echo "== starting PostgreSQL and Postfix under ${SVC_DIR#$root/}/"
	if ! env_up; then
		printf 'fail\tservices\tcould not start PostgreSQL and Postfix\n' >>"$TM_RESULTS"
	fi
fi

if [ -z "${TESTS:-}" ]; then
	for bin in "$TM_BUILD"/tests/test_*; do
		[ -x "$bin" ] && run_unit "$bin"
	done
fi
for script in "${scripts[@]}"; do
	echo "== $script"
	start=$(date +%s)
	bash "$script"; rc=$?
	if [ $rc -ne 0 ] && ! grep -q "	$(basename "$script" .sh): " "$TM_RESULTS"; then
		printf 'fail\t%s\texit status %s, no case recorded\n' "$script" "$rc" >>"$TM_RESULTS"
	fi
	echo "   ($(( $(date +%s) - start )) s)"
done

passed=$(grep -c '^pass' "$TM_RESULTS")
failed=$(grep -c '^fail' "$TM_RESULTS")
skipped=$(grep -c '^skip' "$TM_RESULTS")
if [ "$failed" -gt 0 ]; then
	echo; echo "Failed:"; grep '^fail' "$TM_RESULTS" | cut -f2- | sed 's/^/  /'
fi
if [ "$skipped" -gt 0 ]; then
	echo; echo "Skipped:"; grep '^skip' "$TM_RESULTS" | cut -f2- | sed 's/^/  /'
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
