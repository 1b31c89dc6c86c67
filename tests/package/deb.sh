#!/bin/bash
# debian/: `dpkg-buildpackage -us -uc -b` on a copy of the source tree makes
# a .deb; `dpkg -i` installs it into this machine; the installed package
# holds the command, the scenarios, the man page, the completion, README and
# copyright, and `cnisim run quickstart` runs the shipped scenario by name
# from it (no CNISIM_DATADIR).  The package is removed again afterwards
# unless cnisim was installed before.  Needs root (dpkg -i).
#
#   tests/package/deb.sh SOURCE_DIR
set -u
src=$(realpath "$1")
[ "$(id -u)" = 0 ] || { echo "FAIL: dpkg -i needs root"; exit 1; }
for p in dpkg-buildpackage dh; do
    command -v $p >/dev/null || { echo "FAIL: $p not found (apt-get install dpkg-dev debhelper)"; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-deb.XXXXXX")
installed_before=$(dpkg-query -W -f='${Status}' cnisim 2>/dev/null | grep -c 'install ok installed')
# One package test at a time on a machine: dpkg has one database.
exec 9>/tmp/cnisim-package-test.lock
flock 9
cleanup() {
    [ "$installed_before" = 0 ] && dpkg -r cnisim >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "FAIL: $*"; exit 1; }

# The tracked files (and new ones not ignored), not build directories.
mkdir "$tmp/cnisim"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 cp --parents -t "$tmp/cnisim" 2>/dev/null)
else
    (cd "$src" && tar --exclude='./build*' --exclude=./out -cf - .) | tar -C "$tmp/cnisim" -xf -
fi
[ -f "$tmp/cnisim/debian/rules" ] || die "no debian/rules in the copied tree"
# The test suite has run already (make test); the package build skips it.
(cd "$tmp/cnisim" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) ||
    { tail -30 "$tmp/build.log"; die "dpkg-buildpackage -us -uc -b failed"; }
deb=$(ls "$tmp"/cnisim_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || die "dpkg-buildpackage made no .deb"
# dpkg does not wait for its lock: an apt-get elsewhere on the machine
# (another checkout's `make deps`) would fail the test, so retry for a minute.
for try in $(seq 30); do
    dpkg -i "$deb" >"$tmp/install.log" 2>&1 && break
    grep -q 'lock' "$tmp/install.log" && [ "$try" -lt 30 ] ||
        { cat "$tmp/install.log"; die "dpkg -i $(basename "$deb")"; }
    sleep 2
done

files=$(dpkg -L cnisim)
for f in /usr/bin/cnisim /usr/share/cnisim/scenarios/quickstart.ini \
    /usr/share/man/man1/cnisim.1.gz /usr/share/bash-completion/completions/cnisim \
    /usr/share/doc/cnisim/copyright; do
    grep -qx "$f" <<<"$files" || die "package lacks $f"
done
grep -q '^/usr/share/doc/cnisim/README.md' <<<"$files" || die "package lacks the README"
n=$(grep -c '^/usr/share/cnisim/scenarios/.*\.ini$' <<<"$files")
[ "$n" = "$(ls "$src"/scenarios/*.ini | wc -l)" ] || die "package holds $n scenarios"
[ "$(man -w cnisim 2>/dev/null)" = /usr/share/man/man1/cnisim.1.gz ] || die "man cnisim does not find the page"

mkdir "$tmp/run"
cd "$tmp/run" || exit 1
env -u CNISIM_DATADIR /usr/bin/cnisim run quickstart --quiet >"$tmp/run.log" 2>&1 ||
    { cat "$tmp/run.log"; die "cnisim run quickstart from the package failed"; }
[ -s out/quickstart/summary.csv ] || die "cnisim run quickstart wrote no out/quickstart/summary.csv"
grep -q '^scenario_file *= */usr/share/cnisim/scenarios/quickstart.ini' out/quickstart/meta.ini ||
    grep -q '/usr/share/cnisim/scenarios/quickstart.ini' out/quickstart/meta.ini ||
    die "meta.ini does not name the packaged quickstart.ini"
echo "package: ok: $(basename "$deb") ($(wc -l <<<"$files") paths), cnisim run quickstart from /usr/bin"
