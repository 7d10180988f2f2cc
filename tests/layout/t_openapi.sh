#!/usr/bin/env bash
# t_openapi - api/openapi.yaml is a valid OpenAPI 3.1 document: Redocly's
# CLI (1.34.20, installed under var/redocly by scripts/install-deps.sh)
# lints it with its recommended rules, and every path ticket-api routes
# (api/api_route.c) is in it.
. "$(dirname "$0")/../lib/testlib.sh"
redocly=$TM_ROOT/var/redocly/node_modules/.bin/redocly
doc=$TM_ROOT/api/openapi.yaml
if [ ! -x "$redocly" ]; then
	fail "redocly lint" "no $redocly: run scripts/install-deps.sh"
else
	out=$("$redocly" lint --format=stylish "$doc" 2>&1)
	check "redocly lint: no error" test $? -eq 0
	[ $? -eq 0 ] || echo "$out" | tail -20
fi
for route in $(sed -n 's|^    {"\(v1/[^"]*\)".*|\1|p' "$TM_ROOT/api/api_route.c"); do
	path=/$(sed 's|\*|{[a-z]*}|' <<<"$route")
	check "the document has /$route" grep -q "^  ${path}:" "$doc"
done
