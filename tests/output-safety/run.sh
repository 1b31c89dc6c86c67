#!/usr/bin/env bash
# Output safety of `cnisim run` (issue 5, part 6):
#   a. outputs are written to temporary files and renamed: none is left
#      behind, and a run stopped by SIGINT leaves no summary.csv, keeps its
#      finished runs, and --resume finishes with the bytes of a fresh run;
#   b. a directory holding another scenario's output is not touched without
#      --force, and is replaced with it;
#   c. a scenario's name cannot make cnisim write outside out/;
#   d. -j 1 and -j 2 write the same bytes;
#   e. --shard 1/2 and 2/2 into one directory, then --resume, give the
#      bytes of a single run;
#   f. --resume with other --set values does not reuse the finished runs;
#   g. merge of shards; h-n (issue 9): the lock, links, foreign directories,
#      other configurations and builds, what merge trusts, leftovers, CSV
#      formula injection; o-p: FIFO scenario, saturated open loop; q: a
#      disk that fills up (ENOSPC at every file creation in turn).
#
#   tests/output-safety/run.sh CNISIM
set -u
[ $# -eq 1 ] || { echo "usage: $0 CNISIM" >&2; exit 2; }
cnisim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$cnisim" ] || { echo "$0: $1: not an executable" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-output-safety.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
small=$here/small.ini
other=$here/other.ini
long=$here/long.ini
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() {
    failed=$((failed + 1))
    echo "FAIL $1"
    [ -s "$tmp/err" ] && sed 's/^/    stderr: /' "$tmp/err"
    return 0
}

# Run cnisim, stderr to $tmp/err; sets $rc.
cn() {
    "$cnisim" "$@" 2>"$tmp/err" >/dev/null
    rc=$?
}

# Every file under a directory with its checksum, for before/after checks.
snapshot() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 cksum); }

same_outputs() { # DIR1 DIR2 FILE...: byte-identical, else names the first difference
    local a=$1 b=$2 f
    shift 2
    for f in "$@"; do
        if ! cmp -s "$a/$f" "$b/$f"; then
            echo "    $f differs: $(cmp "$a/$f" "$b/$f" 2>&1 | head -n 1)"
            return 1
        fi
    done
}

# Finished runs kept: the records of the run log.
count_parts() { grep -ac '^run [0-9]* [0-9]* [0-9a-f]*$' "$1/.parts/runs.log" 2>/dev/null || echo 0; }

# ---- a. temporary files and SIGINT ----

cn run "$small" -o "$tmp/a1" -j 2 --quiet
left=$(find "$tmp/a1" -name '*.tmp.*' | wc -l)
if [ $rc -eq 0 ] && [ "$left" -eq 0 ] && [ -s "$tmp/a1/summary.csv" ] &&
    [ -s "$tmp/a1/runs.csv" ] && [ -s "$tmp/a1/ipam.csv" ] && [ -s "$tmp/a1/meta.ini" ]; then
    ok "a: a finished run leaves its four outputs and no *.tmp.* file"
else
    bad "a: finished run: exit $rc, $left *.tmp.* files left: $(find "$tmp/a1" -name '*.tmp.*')"
fi

# The reference: the long batch, uninterrupted.
start=$(date +%s)
cn run "$long" -o "$tmp/a-ref" -j 2 --quiet
total=$(count_parts "$tmp/a-ref")
[ $rc -eq 0 ] || bad "a: reference run of long.ini: exit $rc"
echo "     (long.ini: $total runs in about $(($(date +%s) - start)) s)"

# The directory first holds another scenario's output: replaced with
# --force, and an interrupted run must not leave that summary.csv either.
cn run "$other" -o "$tmp/a2" -j 1 --quiet
"$cnisim" run "$long" -o "$tmp/a2" -j 2 --quiet --force 2>"$tmp/err" >/dev/null &
pid=$!
# Interrupt once a few runs are finished; meanwhile (once the directory is
# taken over) no summary.csv may be there.  Polled, not a fixed sleep, so it
# holds under ASan or valgrind too.
early=""
for _ in $(seq 1 2400); do
    # .parts/owner.ini names the new owner once the directory is prepared.
    if grep -qs '^name=safety-long$' "$tmp/a2/.parts/owner.ini"; then
        [ -e "$tmp/a2/summary.csv" ] && early="summary.csv existed while the batch ran; "
        [ "$(count_parts "$tmp/a2")" -ge 3 ] && break
    fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
done
kill -INT $pid 2>/dev/null
# It must stop soon after the signal (finished runs written, workers joined).
for _ in $(seq 1 1200); do
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
done
hung=""
if kill -0 $pid 2>/dev/null; then
    hung="still running 60 s after SIGINT (killed); "
    kill -KILL $pid 2>/dev/null
fi
wait $pid
rc=$?
kept=$(count_parts "$tmp/a2")
left=$(find "$tmp/a2" -name '*.tmp.*' | wc -l)
why="$hung$early"
[ $rc -eq 130 ] || why="${why}exit $rc, want 130; "
for f in summary.csv runs.csv meta.ini; do
    [ ! -e "$tmp/a2/$f" ] || why="${why}$f present; "
done
[ "$left" -eq 0 ] || why="${why}$left *.tmp.* files left; "
[ "$kept" -ge 1 ] && [ "$kept" -lt "$total" ] || why="${why}$kept of $total runs kept; "
grep -q -- "--resume" "$tmp/err" || why="${why}no hint to use --resume; "
if [ -z "$why" ]; then
    ok "a: SIGINT: exit 130, no summary.csv, $kept of $total runs kept in .parts, no *.tmp.*"
else
    bad "a: SIGINT: $why"
fi
cn run "$long" -o "$tmp/a2" -j 2 --quiet --resume
if [ $rc -eq 0 ] && same_outputs "$tmp/a-ref" "$tmp/a2" summary.csv runs.csv ipam.csv; then
    ok "a: --resume finishes it with the bytes of an uninterrupted run"
else
    bad "a: --resume after SIGINT: exit $rc, or outputs differ from the uninterrupted run"
fi

# ---- b. another scenario's directory ----

cn run "$small" -o "$tmp/b" -j 2 --quiet
before=$(snapshot "$tmp/b")
cn run "$other" -o "$tmp/b" -j 1 --quiet
if [ $rc -eq 2 ] && grep -q "another scenario" "$tmp/err" && grep -q -- "--force" "$tmp/err" &&
    [ "$(snapshot "$tmp/b")" = "$before" ]; then
    ok "b: another scenario's directory: exit 2, says so, names --force, files untouched"
else
    bad "b: another scenario without --force: exit $rc (want 2), or files changed"
fi
cn run "$other" -o "$tmp/b" -j 1 --quiet --resume
if [ $rc -eq 2 ] && [ "$(snapshot "$tmp/b")" = "$before" ]; then
    ok "b: --resume in another scenario's directory: exit 2, files untouched"
else
    bad "b: --resume in another scenario's directory: exit $rc (want 2), or files changed"
fi
cn run "$other" -o "$tmp/b" -j 1 --quiet --force
rows=$(tail -n +2 "$tmp/b/summary.csv" | cut -d, -f1 | sort -u | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$rows" = "safety-other " ] && grep -q "^name=safety-other" "$tmp/b/meta.ini" &&
    [ "$(count_parts "$tmp/b")" -eq 1 ]; then
    ok "b: --force replaces it (summary, meta.ini and .parts all of the new scenario)"
else
    bad "b: --force: exit $rc, summary scenarios '$rows', $(count_parts "$tmp/b") part files (want 1)"
fi
cn run "$other" -o "$tmp/b" -j 1 --quiet
if [ $rc -eq 0 ]; then
    ok "b: the same scenario may rerun in its own directory without --force"
else
    bad "b: rerun of the same scenario: exit $rc"
fi

# ---- c. no writing outside out/ ----

mkdir -p "$tmp/c/w/x/y"
sed 's|^name = .*|name = ../../evil|' "$other" >"$tmp/c/evil.ini"
etc_x_before=$([ -e /etc/x ] && echo yes || echo no)
touch "$tmp/c/marker"
sleep 0.01
cbad=""
(cd "$tmp/c/w/x/y" && "$cnisim" run "$tmp/c/evil.ini" -j 1 --quiet) 2>"$tmp/err" >/dev/null ||
    cbad="$cbad name=../../evil exited $?;"
for n in /etc/x .. . a/../../b '~root/x' '.hidden'; do
    (cd "$tmp/c/w/x/y" && "$cnisim" run "$other" -j 1 --quiet --set "scenario.name=$n") \
        2>"$tmp/err" >/dev/null || cbad="$cbad name=$n exited $?;"
done
outside=$(cd "$tmp/c" && find . -newer marker ! -path './w/x/y/out/*' ! -path ./w/x/y/out \
    ! -path ./w/x/y ! -path ./w/x ! -path ./w ! -path . | head -n 5)
dirs=$(cd "$tmp/c/w/x/y/out" && find . -mindepth 1 -maxdepth 1 | sort | tr '\n' ' ')
if [ -z "$cbad" ] && [ -z "$outside" ] && [ ! -e "$tmp/c/w/evil" ] &&
    { [ "$etc_x_before" = yes ] || [ ! -e /etc/x ]; } &&
    [ "$dirs" = "./_ ./_. ./_._.._evil ./_etc_x ./_hidden ./_root_x ./a_.._.._b " ]; then
    ok "c: names ../../evil, /etc/x, .., ., a/../../b, ~root/x, .hidden write only under out/"
else
    bad "c: ${cbad} written outside out/: '${outside}'; out/ holds: $dirs"
fi

# ---- d. thread count does not change the bytes ----

cn run "$small" -o "$tmp/d1" -j 1 --quiet
rc1=$rc
cn run "$small" -o "$tmp/d2" -j 2 --quiet
if [ $rc1 -eq 0 ] && [ $rc -eq 0 ] &&
    same_outputs "$tmp/d1" "$tmp/d2" summary.csv runs.csv ipam.csv; then
    ok "d: -j 1 and -j 2: summary.csv, runs.csv, ipam.csv byte-identical"
else
    bad "d: -j 1 (exit $rc1) and -j 2 (exit $rc) differ"
fi

# ---- e. shards into one directory, then --resume ----

cn run "$small" -o "$tmp/e" -j 2 --quiet --shard 1/2
rc1=$rc
n1=$(count_parts "$tmp/e")
[ ! -e "$tmp/e/summary.csv" ] || bad "e: a shard wrote summary.csv"
cn run "$small" -o "$tmp/e" -j 2 --quiet --shard 2/2
rc2=$rc
n2=$(count_parts "$tmp/e")
njobs=$(count_parts "$tmp/d1")
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ "$n2" -eq "$njobs" ] && [ "$n1" -lt "$njobs" ]; then
    ok "e: shard 2/2 keeps shard 1/2's runs ($n1 then $n2 of $njobs part files)"
else
    bad "e: shards: exit $rc1 and $rc2, $n1 then $n2 part files (want all $njobs after both)"
fi
cn run "$small" -o "$tmp/e" -j 2 --quiet --resume
rerun=$(($(count_parts "$tmp/e") - njobs))
if [ $rc -eq 0 ] && [ "$rerun" -eq 0 ] &&
    same_outputs "$tmp/d1" "$tmp/e" summary.csv runs.csv ipam.csv; then
    ok "e: --resume after both shards runs nothing and writes the bytes of a single run"
else
    bad "e: --resume after shards: exit $rc, $rerun runs redone (want 0), or outputs differ"
fi

# ---- g. shards in separate directories (separate machines), joined by merge ----

cn run "$small" -o "$tmp/g1" -j 2 --quiet --shard 1/2
cn run "$small" -o "$tmp/g2" -j 2 --quiet --shard 2/2
cn merge "$tmp/g1" "$tmp/g2" -o "$tmp/gm"
if [ $rc -eq 0 ] && same_outputs "$tmp/d1" "$tmp/gm" summary.csv runs.csv ipam.csv; then
    ok "g: merge of shards run in separate directories writes the bytes of a single run"
else
    bad "g: merge: exit $rc, or outputs differ from a single run"
fi
cn merge "$tmp/g1" -o "$tmp/gx"
if [ $rc -eq 2 ] && grep -q "runs are in none of the directories merged" "$tmp/err" &&
    [ ! -e "$tmp/gx/summary.csv" ]; then
    ok "g: merge with a shard missing is refused (exit 2, bad input) and writes no summary"
else
    bad "g: merge with a shard missing: exit $rc (want 2), or a summary was written"
fi
cn run "$other" -o "$tmp/gother" -j 2 --quiet --shard 2/2
cn merge "$tmp/g1" "$tmp/gother" -o "$tmp/gy"
if [ $rc -eq 2 ] && grep -q "only shards of one run can be merged" "$tmp/err"; then
    ok "g: merge of another scenario's directory is refused"
else
    bad "g: merge of unrelated directories: exit $rc (want 2)"
fi

# ---- f. --resume with other --set values ----

cn run "$small" -o "$tmp/f" -j 2 --quiet
before=$(snapshot "$tmp/f")
cn run "$small" -o "$tmp/f" -j 2 --quiet --resume --set costs.nf_pkt_ns=3000
if [ $rc -eq 2 ] && grep -q "cannot resume" "$tmp/err" && [ "$(snapshot "$tmp/f")" = "$before" ]; then
    ok "f: --resume with another --set value is refused, files untouched"
else
    bad "f: --resume with another --set value: exit $rc (want 2), or files changed"
fi
cn run "$small" -o "$tmp/f2" -j 2 --quiet --set costs.nf_pkt_ns=3000
cn run "$small" -o "$tmp/f2" -j 2 --quiet --resume --set costs.nf_pkt_ns=3000
if [ $rc -eq 0 ] && ! cmp -s "$tmp/f/summary.csv" "$tmp/f2/summary.csv"; then
    ok "f: --resume with the same --set values works"
else
    bad "f: --resume with the same --set values: exit $rc, or the override had no effect"
fi

# ---- h. one command at a time: the lock (issue 9, item 5) ----

"$cnisim" run "$long" -o "$tmp/h" -j 1 --quiet 2>/dev/null >/dev/null &
pid=$!
for _ in $(seq 1 2400); do
    grep -qs '^name=safety-long$' "$tmp/h/.parts/owner.ini" && break
    sleep 0.05
done
cn run "$other" -o "$tmp/h" -j 1 --quiet
rc1=$rc
grep -q "in use by cnisim process $pid" "$tmp/err" && named=yes || named=no
cn run "$other" -o "$tmp/h" -j 1 --quiet --force
rc2=$rc
cn run "$long" -o "$tmp/h" -j 1 --quiet --resume
rc3=$rc
cn merge "$tmp/g1" "$tmp/g2" -o "$tmp/h" --force
rc4=$rc
owner_ok=$(grep -c '^name=safety-long$' "$tmp/h/.parts/owner.ini")
kill -INT $pid 2>/dev/null
wait $pid
if [ $rc1 -eq 2 ] && [ $named = yes ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ] && [ $rc4 -eq 2 ] &&
    [ "$owner_ok" -eq 1 ]; then
    ok "h: a locked directory: run, run --force, --resume, merge --force all exit 2 naming PID $pid"
else
    bad "h: lock: exits $rc1 $rc2 $rc3 $rc4 (want 2 2 2 2), PID named: $named, owner kept: $owner_ok"
fi

# ---- i. no writing through symbolic links (items 7, 10) ----

echo precious >"$tmp/victim"
mkdir -p "$tmp/i1"
cn run "$small" -o "$tmp/i1" -j 2 --quiet
for f in summary.csv runs.csv meta.ini; do
    rm -f "$tmp/i1/$f"
    ln -s "$tmp/victim" "$tmp/i1/$f"
done
cn run "$small" -o "$tmp/i1" -j 2 --quiet
if [ $rc -eq 0 ] && [ "$(cat "$tmp/victim")" = precious ] && [ -f "$tmp/i1/summary.csv" ] &&
    [ ! -L "$tmp/i1/summary.csv" ]; then
    ok "i: links planted at the outputs are replaced, their target untouched"
else
    bad "i: planted output links: exit $rc, victim now '$(head -c 40 "$tmp/victim")'"
fi
mkdir -p "$tmp/i2/target" "$tmp/i2/out"
echo keep >"$tmp/i2/target/data.csv"
ln -s "$tmp/i2/target" "$tmp/i2/out/.parts"
cn run "$small" -o "$tmp/i2/out" -j 2 --quiet
if [ $rc -eq 2 ] && grep -q "symbolic link" "$tmp/err" && [ -f "$tmp/i2/target/data.csv" ] &&
    [ "$(ls "$tmp/i2/target")" = data.csv ]; then
    ok "i: a .parts symlink is refused (exit 2) and its target left alone"
else
    bad "i: .parts symlink: exit $rc, target holds: $(ls "$tmp/i2/target" | tr '\n' ' ')"
fi
ln -s "$tmp/i2/target" "$tmp/i3"
cn run "$small" -o "$tmp/i3" -j 2 --quiet
if [ $rc -eq 2 ] && [ "$(ls -A "$tmp/i2/target")" = data.csv ]; then
    ok "i: -o naming a symbolic link is refused (exit 2)"
else
    bad "i: -o symlink: exit $rc"
fi
mkdir -p "$tmp/i4"
(cd "$tmp/i4" && "$cnisim" run "$small" -o '' -j 2 --quiet) 2>"$tmp/err" >/dev/null
rc=$?
if [ $rc -eq 2 ] && [ -z "$(ls -A "$tmp/i4")" ] && grep -q "expected an output directory" "$tmp/err"; then
    ok "i: -o '' is refused (exit 2), nothing written in the working directory"
else
    bad "i: -o '': exit $rc, cwd holds: $(ls -A "$tmp/i4" | tr '\n' ' ')"
fi

# ---- j. a directory cnisim did not make (issue 8) ----

mkdir -p "$tmp/j"
echo mine >"$tmp/j/summary.csv"
before=$(snapshot "$tmp/j")
cn run "$small" -o "$tmp/j" -j 2 --quiet --force
if [ $rc -eq 2 ] && grep -q "not made by cnisim" "$tmp/err" && [ "$(snapshot "$tmp/j")" = "$before" ]; then
    ok "j: a non-empty directory cnisim did not make is refused even with --force, untouched"
else
    bad "j: foreign directory: exit $rc, or files changed"
fi

# ---- k. another configuration of the same scenario (issue 8; item 9) ----

cn run "$small" -o "$tmp/k" -j 2 --quiet
before=$(snapshot "$tmp/k")
cn run "$small" -o "$tmp/k" -j 2 --quiet --set costs.nf_pkt_ns=3000
if [ $rc -eq 2 ] && grep -q "other --set values" "$tmp/err" && grep -q "safety-small" "$tmp/err" &&
    grep -q -- "--force" "$tmp/err" && [ "$(snapshot "$tmp/k")" = "$before" ]; then
    ok "k: other --set values into the same directory: exit 2 naming the existing configuration"
else
    bad "k: other --set values without --force: exit $rc, or files changed"
fi
cn run "$small" -o "$tmp/k" -j 2 --quiet --set costs.nf_pkt_ns=3000 --force
[ $rc -eq 0 ] && ok "k: ... and replaced with --force" || bad "k: --force: exit $rc"
# Another calibration table or cnisim version (edited into the record).
sed -i 's/^calibration_sha256=.*/calibration_sha256=0000/' "$tmp/k/.parts/owner.ini"
cn run "$small" -o "$tmp/k" -j 2 --quiet --resume --set costs.nf_pkt_ns=3000
rc1=$rc
grep -q "another calibration table" "$tmp/err" && cal=yes || cal=no
sed -i 's/^cnisim_version=.*/cnisim_version=0.0.0-other/' "$tmp/g2/.parts/owner.ini"
cn merge "$tmp/g1" "$tmp/g2" -o "$tmp/k2"
rc2=$rc
if [ $rc1 -eq 2 ] && [ $cal = yes ] && [ $rc2 -eq 2 ] && grep -q "0.0.0-other" "$tmp/err"; then
    ok "k: --resume and merge refuse runs of another calibration or cnisim version"
else
    bad "k: other build: --resume exit $rc1 (calibration named: $cal), merge exit $rc2"
fi

# ---- l. merge reads only what it checked (items 6, 8, 11, 13) ----

cn run "$small" -o "$tmp/l1" -j 2 --quiet --shard 1/2
cn run "$small" -o "$tmp/l2" -j 2 --quiet --shard 2/2
echo secret-bytes >"$tmp/secret"
chmod 600 "$tmp/secret"
part=runs.log
mv "$tmp/l2/.parts/$part" "$tmp/l2/.parts/$part.saved"
ln -s "$tmp/secret" "$tmp/l2/.parts/$part"
cn merge "$tmp/l1" "$tmp/l2" -o "$tmp/lm"
leak=$(grep -rls secret-bytes "$tmp/lm" 2>/dev/null | head -n 1)
if [ $rc -eq 2 ] && [ -z "$leak" ] && [ ! -e "$tmp/lm/summary.csv" ]; then
    ok "l: a shard's part that is a symbolic link is refused, its target not copied"
else
    bad "l: symlinked part: exit $rc, copied into: $leak"
fi
rm "$tmp/l2/.parts/$part"
# A negative count in the first record, first with the record's check left
# as it was, then with the check recomputed (FNV-1a, as cnisim writes it).
tamper() { # SAVED OUT RECOMPUTE
    python3 - "$@" <<'PY'
import sys, re
data = open(sys.argv[1], 'rb').read()
out, i, first = b'', 0, True
while i < len(data):
    nl = data.index(b'\n', i)
    head = data[i:nl].split()
    n = int(head[2]); text = data[nl + 1:nl + 1 + n]; check = head[3]
    if first:
        text = re.sub(rb'^(pod-to-pod-same-node),[0-9]+,', rb'\1,-5,', text, count=1, flags=re.M)
        if sys.argv[3] == '1':
            h = 2166136261
            for c in text:
                h = ((h ^ c) * 16777619) & 0xffffffff
            check = b'%08x' % h
        first = False
    out += b'run %s %d %s\n' % (head[1], len(text), check) + text
    i = nl + 1 + n
open(sys.argv[2], 'wb').write(out)
PY
}
tamper "$tmp/l2/.parts/$part.saved" "$tmp/l2/.parts/$part" 0
cn merge "$tmp/l1" "$tmp/l2" -o "$tmp/lm2"
rc1=$rc
grep -q "damaged or edited" "$tmp/err" && named1=yes || named1=no
tamper "$tmp/l2/.parts/$part.saved" "$tmp/l2/.parts/$part" 1
cn merge "$tmp/l1" "$tmp/l2" -o "$tmp/lm2b"
if [ $rc1 -eq 2 ] && [ $named1 = yes ] && [ $rc -eq 2 ] && grep -q "not a cnisim run" "$tmp/err" &&
    [ ! -e "$tmp/lm2/summary.csv" ] && [ ! -e "$tmp/lm2b/summary.csv" ]; then
    ok "l: a tampered run record (a negative count, check stale or recomputed) is refused"
else
    bad "l: tampered record: exit $rc1 then $rc (want 2 and 2)"
fi
mv "$tmp/l2/.parts/$part.saved" "$tmp/l2/.parts/$part"
sed -i 's/^name = .*/name = relabelled/' "$tmp/l2/.parts/scenario.ini"
cn merge "$tmp/l1" "$tmp/l2" -o "$tmp/lm3"
if [ $rc -eq 2 ] && grep -q "does not match the digest" "$tmp/err"; then
    ok "l: an edited .parts/scenario.ini is refused (digest checked)"
else
    bad "l: edited scenario.ini: exit $rc"
fi
cn run "$other" -o "$tmp/lm4" -j 1 --quiet
cn merge "$tmp/g1" "$tmp/e" -o "$tmp/lm4"
rc1=$rc
cn merge "$tmp/g1" "$tmp/e" -o "$tmp/lm4" --force
if [ $rc1 -eq 2 ] && [ $rc -eq 0 ] && grep -q "^name=safety-small" "$tmp/lm4/meta.ini"; then
    ok "l: merge into another scenario's directory: refused, then replaced with --force"
else
    bad "l: merge --force over another scenario: exit $rc1 then $rc (want 2 then 0)"
fi

# ---- m. leftovers of a killed process (item 13) ----

cn run "$small" -o "$tmp/m" -j 2 --quiet
echo half >"$tmp/m/summary.csv.tmp-AbC123"
echo half >"$tmp/m/runs.csv.tmp.4242"
echo half >"$tmp/m/.parts/runs.log.tmp-XyZ789"
cn run "$small" -o "$tmp/m" -j 2 --quiet --resume
left=$(find "$tmp/m" -name '*.tmp*' | wc -l)
if [ $rc -eq 0 ] && [ "$left" -eq 0 ]; then
    ok "m: --resume removes the temporary files a killed process left"
else
    bad "m: stale temporaries: exit $rc, $left left"
fi
rm "$tmp/m/meta.ini"
cn report "$tmp/m"
[ -s "$tmp/m/summary.csv" ] && echo "     (an output set without meta.ini counts as incomplete)"

# ---- n. CSV fields a spreadsheet would evaluate (item 12) ----

cn run "$other" -o "$tmp/n" -j 1 --quiet --set 'scenario.name==HYPERLINK("x")'
field=$(sed -n 2p "$tmp/n/summary.csv" | cut -c1-3)
if [ $rc -eq 0 ] && [ "$field" = "\"'=" ]; then
    ok "n: a name starting with '=' is written quoted with a leading apostrophe"
else
    bad "n: formula-looking name: exit $rc, summary.csv starts '$field'"
fi

# ---- o. a FIFO as the scenario (item 14): refused at once, not read forever ----

mkfifo "$tmp/fifo.ini"
timeout -k 2 10 "$cnisim" validate "$tmp/fifo.ini" 2>"$tmp/err" >/dev/null
rc=$?
if [ $rc -eq 2 ] && grep -q "not a regular file" "$tmp/err"; then
    ok "o: a FIFO scenario is refused at once (exit 2)"
else
    bad "o: FIFO scenario: exit $rc (124 is a hang)"
fi

# ---- p. an open loop past saturation stops, flagged (item 2) ----

cn run "$here/saturated.ini" -o "$tmp/p" -j 1 --quiet
if [ $rc -eq 0 ] && grep -q "past saturation" "$tmp/err" && [ -s "$tmp/p/summary.csv" ]; then
    ok "p: an open loop past saturation stops at the backlog bound, with a warning"
else
    bad "p: saturated open loop: exit $rc"
fi

# ---- q. a disk that fills up (item 13): exit 1, all outputs or none ----
# The shim (tests/output-safety/enospc.c, LD_PRELOAD) fails the N-th and
# every later file or directory creation under the output directory with
# ENOSPC; N walks every creation a run makes, from the output directory
# itself to meta.ini.

shim=${CNISIM_ENOSPC_SHIM:-}
if [ -z "$shim" ] || [ ! -f "$shim" ]; then
    bad "q: no ENOSPC shim (CNISIM_ENOSPC_SHIM='$shim'): meson builds and passes it"
else
    cn run "$small" -o "$tmp/q-fresh" -j 1 --quiet
    q_ok=1
    n=1
    while :; do
        rm -rf "$tmp/q"
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
            ENOSPC_MATCH="$tmp/q" ENOSPC_AT=$n LD_PRELOAD=$shim \
            "$cnisim" run "$small" -o "$tmp/q" -j 1 --quiet 2>"$tmp/err" >/dev/null
        rc=$?
        [ $rc -eq 0 ] && break # every creation made: the disk had room enough
        outs=$(cd "$tmp/q" 2>/dev/null && ls summary.csv runs.csv ipam.csv meta.ini timeseries.csv 2>/dev/null | tr '\n' ' ')
        left=$(find "$tmp/q" -name '*.tmp*' 2>/dev/null | head -n 1)
        if [ $rc -ne 1 ] || [ -n "$outs" ] || [ -n "$left" ] || ! grep -q "No space left on device" "$tmp/err"; then
            bad "q: full at creation $n: exit $rc (expected 1), published '$outs', leftover '$left'"
            q_ok=0
            break
        fi
        # With room again, a plain run (or --resume, keeping what finished)
        # completes with the bytes of a fresh run.
        cn run "$small" -o "$tmp/q" -j 1 --quiet --resume
        if [ $rc -ne 0 ] || ! same_outputs "$tmp/q" "$tmp/q-fresh" summary.csv runs.csv ipam.csv timeseries.csv; then
            bad "q: after a full disk at creation $n, --resume: exit $rc or other bytes"
            q_ok=0
            break
        fi
        n=$((n + 1))
        [ $n -le 40 ] || { bad "q: more than 40 creations?"; q_ok=0; break; }
    done
    [ $q_ok -eq 1 ] && [ $n -gt 8 ] &&
        ok "q: a disk full at any of the run's $((n - 1)) creations: exit 1, no output published, --resume completes the same bytes"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
