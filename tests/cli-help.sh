#!/bin/bash
# The command line: usage lines and --help for every subcommand, help TOPIC,
# -j4 as make takes it, and merge's hint working as typed.
set -u
cnisim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name, condition (0 = pass)
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
commands=$("$cnisim" --help | sed -n 's/^  cnisim \([a-z-]*\) .*/\1/p' | grep -v '^--')
for c in $commands; do
    out=$("$cnisim" "$c" --help 2>&1); rc=$?
    echo "$out" | grep -q "^  cnisim $c \[OPTION" ; check "$c --help: usage line" $(( rc != 0 || $? ))
    out2=$("$cnisim" help "$c" 2>&1); rc=$?
    [ "$out" = "$out2" ]; check "help $c is $c --help" $(( rc != 0 || $? ))
done
[ -n "$commands" ] && echo "$commands" | grep -qx report; check "the usage lists report" $?
cat >"$tmp/s.ini" <<'INI'
[scenario]
name = clitest
duration_s = 0.02
warmup_s = 0.005
replications = 2
[workload]
concurrency = 2
[plugins]
compare = kubenet
INI
"$cnisim" run "$tmp/s.ini" -j2 -q -o "$tmp/j" >/dev/null 2>&1; check "run -j2 (attached value)" $?
"$cnisim" run "$tmp/s.ini" -q --shard 1/2 -o "$tmp/s1" >/dev/null 2>&1
err=$("$cnisim" merge "$tmp/s1" -o "$tmp/m" 2>&1); rc=$?
hint=$(echo "$err" | sed -n 's/.*finish them here with: //p')
[ $rc -eq 2 ] && [ -n "$hint" ]; check "merge of one shard of two refuses with a hint" $?
(cd "$tmp" && eval "\"$cnisim\" ${hint#cnisim } -q" >/dev/null 2>&1); check "merge's hint works as typed: $hint" $?
[ -s "$tmp/m/summary.csv" ]; check "the hint finished the run" $?
echo "$fails failed"
[ $fails -eq 0 ]
