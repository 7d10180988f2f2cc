#!/usr/bin/env bash
# build-deb.sh - build the Debian package from the working tree.
#
#   bash packaging/build-deb.sh [OUTDIR]
#
# Copies the sources and packaging/debian (as debian/) into OUTDIR/tree
# (default build/deb), runs dpkg-buildpackage -us -uc -b there, and leaves
# ticket-milter_VERSION_ARCH.deb in OUTDIR/.. (build/ by default). The
# version in debian/changelog must be the one in VERSION. The build log is
# OUTDIR/build.log; on failure its end is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-build/deb}
version=$(cat VERSION)
changelog_version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
if [ "$changelog_version" != "$version" ]; then
	echo "build-deb: packaging/debian/changelog says $changelog_version, VERSION says $version" >&2
	exit 1
fi

tree=$out/ticket-milter-$version
rm -rf "$out"
mkdir -p "$tree"
cp -a Makefile VERSION README.md milter parser api sql scripts packaging "$tree/"
cp -a packaging/debian "$tree/debian"

echo "build-deb: building ticket-milter $version in $tree"
if ! (cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
deb=$(ls "$out"/ticket-milter_"$version"_*.deb)
dest=$(dirname "$out")
rm -f "$dest"/ticket-milter_*.deb
mv "$deb" "$dest/"
echo "build-deb: $dest/$(basename "$deb")"
