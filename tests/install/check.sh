#!/bin/bash
# `meson install` into a DESTDIR holds everything a user needs, and it works
# from there:
#   - bin/cnisim, every scenarios/*.ini of the source tree under
#     share/cnisim/scenarios, the man page, the bash completion, README.md
#     and LICENSE under share/doc/cnisim;
#   - the man page renders (man -l) and names every subcommand, every option
#     of every subcommand and every scenario key the binary knows;
#   - the completion loads in bash and completes subcommands and --set keys;
#   - the installed cnisim finds a shipped scenario by name (CNISIM_DATADIR
#     pointing into the DESTDIR) and lists them with their descriptions.
#
#   tests/install/check.sh MESON BUILD_DIR SOURCE_DIR
set -u
meson=$1 build=$2 src=$(realpath "$3")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

dest=$tmp/dest
"$meson" install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; echo "FAIL: meson install"; exit 1; }
bin=$(find "$dest" -path '*/bin/cnisim' -type f | head -1)
[ -n "$bin" ] || { echo "FAIL: no bin/cnisim under $dest"; exit 1; }
prefix=$(dirname "$(dirname "$bin")")
share=$prefix/share
for f in bin/cnisim share/man/man1/cnisim.1 share/bash-completion/completions/cnisim \
    share/doc/cnisim/README.md share/doc/cnisim/LICENSE; do
    [ -s "$prefix/$f" ] || fail "not installed: $f"
done
n_scenarios=0
for f in "$src"/scenarios/*.ini; do
    cmp -s "$f" "$share/cnisim/scenarios/$(basename "$f")" ||
        fail "scenario not installed (or not the same): $(basename "$f")"
    n_scenarios=$((n_scenarios + 1))
done
[ "$n_scenarios" -gt 0 ] || fail "no scenarios in $src/scenarios"
cmp -s "$src/LICENSE" "$share/doc/cnisim/LICENSE" || fail "LICENSE differs from the source"
grep -q '^MIT License' "$share/doc/cnisim/LICENSE" || fail "LICENSE is not the MIT license"

# --- the man page ---
# A line long enough that no word is broken (or hyphenated) across lines.
if ! MANWIDTH=10000 man -l "$share/man/man1/cnisim.1" >"$tmp/man.txt" 2>"$tmp/man.err" ||
    [ -s "$tmp/man.err" ]; then
    cat "$tmp/man.err"
    fail "man -l does not render the man page cleanly"
fi
for section in NAME SYNOPSIS COMMANDS OPTIONS 'SCENARIO FILES' 'EXIT STATUS' 'FILES WRITTEN' \
    EXAMPLES ENVIRONMENT; do
    grep -q "^$section\$" "$tmp/man.txt" || fail "man page: no $section section"
done
# Every subcommand the usage text names, and every option each one parses.
cmds=$("$bin" --help | awk '$1 == "cnisim" && $2 ~ /^[a-z]+$/ { print $2 }' | sort -u)
[ "$(echo "$cmds" | wc -w)" -ge 6 ] || fail "cnisim --help names fewer than 6 subcommands: $cmds"
for c in $cmds; do
    grep -qw -- "cnisim $c" "$tmp/man.txt" || fail "man page: subcommand $c not shown"
    for o in $("$bin" "$c" --help 2>/dev/null | awk '/^ +-/ {
        for (i = 1; i <= NF && $i ~ /^-/; i++) { sub(/[,=].*/, "", $i); print $i } }'); do
        # An entry of its own in OPTIONS: "--resume", "-o, --output=DIR".
        case $o in
        --*) pat="^ +(-[a-zA-Z], )?$o( |=|\$)" ;;
        *) pat="^ +$o, --" ;;
        esac
        grep -qE -- "$pat" "$tmp/man.txt" || fail "man page: option $o of $c has no entry"
    done
done
for t in costs keys scenarios system-pods; do
    grep -q "help $t" "$tmp/man.txt" || fail "man page: help $t not documented"
done
"$bin" help keys | awk '/^\[[a-z_]+\]$/ { print } /^  [a-z]/ && $2 != "calibration" { print $1 }' \
    >"$tmp/keys"
[ "$(wc -l <"$tmp/keys")" -ge 20 ] || fail "cnisim help keys lists fewer than 20 keys and groups"
while read -r k; do
    grep -qF -- "$k" "$tmp/man.txt" || fail "man page: scenario group or key $k not documented"
done <"$tmp/keys"
# The shipped scenarios, as the source tree has them (the page is rebuilt
# when one changes, but a new one needs meson to reconfigure).
for f in "$src"/scenarios/*.ini; do
    grep -qw -- "$(basename "$f" .ini)" "$tmp/man.txt" ||
        fail "man page: shipped scenario $(basename "$f" .ini) not listed"
done
"$bin" help costs | awk 'NR > 1 && NF == 0 { exit } NR > 1 { print $1 }' >"$tmp/costs"
while read -r k; do
    grep -qF -- "$k =" "$tmp/man.txt" || fail "man page: calibration entry $k not listed"
done <"$tmp/costs"
for f in "$src"/scenarios/*.ini; do
    grep -q "^ *$(basename "$f" .ini)\$" "$tmp/man.txt" ||
        fail "man page: shipped scenario $(basename "$f" .ini) not listed"
done
for s in 0 1 2 130; do
    grep -q "^ *$s\$" "$tmp/man.txt" || fail "man page: exit status $s not documented"
done

# --- the bash completion, driving the installed binary ---
cat >"$tmp/complete.sh" <<'SH'
source "$1" || exit 1
bin=$2
complete -p cnisim >/dev/null || { echo "no completion registered for cnisim"; exit 1; }
c() { COMP_WORDS=("$bin" "$@"); COMP_CWORD=$#; COMPREPLY=(); _cnisim; printf '%s\n' "${COMPREPLY[@]}"; }
echo "r: $(c r | tr '\n' ' ')"
echo "ru: $(c ru | tr '\n' ' ')"
echo "nodes: $(c run x.ini --set cluster.no | tr '\n' ' ')"
echo "nodes=: $(c run x.ini --set cluster.nodes | tr '\n' ' ')"
echo "costs: $(c validate x.ini --set costs.iptables_rule_n | tr '\n' ' ')"
echo "opt: $(c run x.ini --sh | tr '\n' ' ')"
echo "help: $(c help sc | tr '\n' ' ')"
echo "scenario: $(c run quicks | tr '\n' ' ')"
SH
(cd "$tmp" && CNISIM_DATADIR=$share/cnisim bash --norc --noprofile "$tmp/complete.sh" \
    "$share/bash-completion/completions/cnisim" "$bin") >"$tmp/complete.out" 2>&1
expect() { grep -qxF -- "$1" "$tmp/complete.out" || fail "completion: expected '$1'"; }
grep -q '^r: .*\brun ' "$tmp/complete.out" || fail "completion: 'cnisim r' does not offer run"
expect "ru: run "
grep -q '^nodes: .*cluster\.nodes= ' "$tmp/complete.out" ||
    fail "completion: '--set cluster.no' does not offer cluster.nodes="
expect "nodes=: cluster.nodes= "
expect "costs: costs.iptables_rule_ns= "
expect "opt: --shard "
expect "help: scenarios "
expect "scenario: quickstart "
[ $failed -eq 0 ] || cat "$tmp/complete.out"

# --- the installed command runs a shipped scenario by name ---
export CNISIM_DATADIR=$share/cnisim
mkdir "$tmp/work"
cd "$tmp/work" || exit 1
"$bin" help scenarios >"$tmp/list" || fail "cnisim help scenarios failed"
for f in "$src"/scenarios/*.ini; do
    name=$(basename "$f" .ini)
    desc=$(sed -n 's/^description *= *//p' "$f" | head -1)
    grep -qE "^  $name +" "$tmp/list" || fail "help scenarios: $name not listed"
    grep -qF -- "$desc" "$tmp/list" || fail "help scenarios: description of $name missing"
done
short=(--set scenario.replications=1 --set scenario.duration_s=0.05 --quiet)
"$bin" run quickstart -o by-name "${short[@]}" || fail "cnisim run quickstart (by name) failed"
"$bin" run "$src/scenarios/quickstart.ini" -o by-path "${short[@]}" || fail "run by path failed"
cmp -s by-name/summary.csv by-path/summary.csv ||
    fail "cnisim run quickstart did not run the shipped quickstart.ini"
grep -q "$share/cnisim/scenarios/quickstart.ini" by-name/meta.ini ||
    fail "meta.ini does not name the shipped scenario file"
# A bare name that is nowhere: one message naming both places, status 2.
"$bin" validate no-such-scenario 2>"$tmp/err"
[ $? -eq 2 ] || fail "unknown bare scenario name: exit status is not 2"
grep -q "no shipped scenario no-such-scenario.ini in $share/cnisim/scenarios" "$tmp/err" ||
    fail "unknown bare scenario name: message: $(cat "$tmp/err")"
# A file in the working directory wins over the shipped one.
printf '[scenario]\nname = local\n' >quickstart
"$bin" validate quickstart >/dev/null 2>&1 && fail "a local file named quickstart was not used"

[ $failed -eq 0 ] && echo "install: ok ($n_scenarios scenarios, $(wc -l <"$tmp/keys") groups and keys)"
exit $failed
