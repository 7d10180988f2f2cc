#!/bin/sh
# check-layers.sh - the folder rules of README.md's "Layout": which folder
# may include which, and at most 20 .c files a folder. Usage:
#
#	check-layers.sh [ROOT]
#
# Reads every .c and .h of parser/, milter/*/ and api/ below ROOT (default: the
# checkout this script is in), prints one line per broken rule and exits
# 1 if there is any. A folder may include its own headers and those of
# the folders below it; parser/ includes no other project folder:
#
#	milter/daemon, milter/ctl -> milter/core -> milter/util
#	milter/core -> parser -> parser/util;  parser/cli (ticket-parse) -> parser
#	api (ticket-api) -> milter/core -> milter/util
#
# An #include of a flat milter/NAME.h, of a folder that has no rule here,
# or a quoted include with a path, breaks a rule too, so that a new folder
# or a way around the check is a decision, not an accident.
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
max_c=20

# allowed FOLDER - the folders FOLDER may include, or nothing (no rule)
allowed() {
	case $1 in
	parser/util)	echo "parser/util" ;;
	parser)		echo "parser parser/util" ;;
	parser/cli)	echo "parser/cli parser parser/util" ;;
	milter/util)	echo "milter/util" ;;
	milter/core)	echo "milter/core milter/util parser parser/util" ;;
	milter/daemon)	echo "milter/daemon milter/core milter/util parser parser/util" ;;
	milter/ctl)	echo "milter/ctl milter/core milter/util parser parser/util" ;;
	api)		echo "api milter/core milter/util parser parser/util" ;;
	esac
}

# check - one line per broken rule
check() {
	for file in milter/*.[ch]; do
		[ -f "$file" ] && echo "$file: outside the layer folders"
	done
	for dir in parser parser/*/ milter/*/ api; do
		dir=${dir%/}
		[ -d "$dir" ] && check_folder "$dir"
	done
}

# check_folder DIR - the file count and each include of one folder
check_folder() {
	may=$(allowed "$1")
	if [ -z "$may" ]; then
		echo "$1: no rule for this folder (scripts/check-layers.sh, README.md \"Layout\")"
		return
	fi
	count=$(find "$1" -maxdepth 1 -name '*.c' | wc -l)
	[ "$count" -le $max_c ] || echo "$1: $count .c files, more than $max_c"
	for file in "$1"/*.[ch]; do
		[ -f "$file" ] || continue
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' "$file" |
			sed "s|^|$file:|; s|\$| (a quoted include with a path)|"
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*<\(milter\|parser\)/' "$file" |
		while IFS= read -r hit; do
			target=$(printf '%s\n' "$hit" | sed 's|.*<\([^>]*\)>.*|\1|')
			case $target in
			*/*/*)	folder=$(printf '%s\n' "$target" | cut -d/ -f1-2) ;;
			*)	folder=${target%/*} ;;
			esac
			case " $may " in
			*" $folder "*) ;;
			*) echo "$file:${hit%%:*}: $1 includes $target" ;;
			esac
		done
	done
}

cd "$root" || exit 2
report=$(check 2>&1)
[ -z "$report" ] && exit 0
printf '%s\n' "$report"
exit 1
