#!/usr/bin/env bash
# Golden regression check: run every reduced, fixed-seed scenario in
# tests/golden/ and compare its outputs with the pinned copies in
# tests/golden/NAME/.  A model change that moves any number fails here with
# the rows and columns that moved, old and new values.
#
#   tests/golden/check.sh CNISIM              compare (exit 1 on a difference)
#   tests/golden/check.sh CNISIM --update     rewrite the pinned files
#   options: --only NAME (one scenario; repeatable), --keep DIR (write the
#            new outputs there instead of a temporary directory),
#            --set group.key=value (passed to cnisim; not with --update)
#
# A golden scenario is run with `cnisim run -j 2 --quiet` and pins
# summary.csv and ipam.csv; one containing the line "# golden: plan" is run
# with `cnisim plan` and pins ipam.csv and migrations.csv.  Every shipped
# scenarios/X.ini must have a tests/golden/X.ini.
# The last line is always "N passed, M failed".
set -u

usage() {
    echo "usage: $0 CNISIM [--update] [--only NAME]... [--keep DIR] [--set group.key=value]..." >&2
    exit 2
}

[ $# -ge 1 ] || usage
cnisim=$1
shift
update=0
only=()
sets=()
keep=""
while [ $# -gt 0 ]; do
    case $1 in
    --update) update=1 ;;
    --only) [ $# -ge 2 ] || usage; only+=("$2"); shift ;;
    --keep) [ $# -ge 2 ] || usage; keep=$2; shift ;;
    --set) [ $# -ge 2 ] || usage; sets+=(--set "$2"); shift ;;
    *) usage ;;
    esac
    shift
done
if [ ! -x "$cnisim" ]; then
    echo "golden: $cnisim: not an executable" >&2
    exit 2
fi
if [ "$update" = 1 ] && [ ${#sets[@]} -gt 0 ]; then
    echo "golden: --update with --set would pin a modified model; refusing" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -n "$keep" ]; then
    mkdir -p "$keep" || exit 2
    work=$(cd "$keep" && pwd)
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-golden.XXXXXX") || exit 2
    trap 'rm -rf "$work"' EXIT
fi

passed=0
failed=0
for o in ${only[@]+"${only[@]}"}; do
    if [ ! -f "$here/$o.ini" ]; then
        echo "golden: --only $o: there is no tests/golden/$o.ini" >&2
        exit 2
    fi
done

pass() {
    passed=$((passed + 1))
    echo "ok   $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
}

selected() {
    [ ${#only[@]} -eq 0 ] && return 0
    local o
    for o in "${only[@]}"; do
        [ "$o" = "$1" ] && return 0
    done
    return 1
}

# The columns that identify a row of FILE, and those shown beside them.
keys_of() {
    case $1 in
    summary.csv) echo "scenario,point,variant,class" ;;
    ipam.csv) echo "scenario,point,variant" ;;
    migrations.csv) echo "from_variant,to_variant" ;;
    *) echo "" ;;
    esac
}

# summary.csv: the swept keys (between policy and class); ipam.csv: the
# cluster size of the point.
label_of() {
    local file=$1 header=$2
    case $file in
    summary.csv)
        head -n 1 "$header" | awk -F, '{ for (i = 1; i <= NF; i++) { if ($i == "class") s = 0;
            if (s) l = l (l == "" ? "" : ",") $i; if ($i == "policy") s = 1 } print l }' ;;
    ipam.csv) echo "nodes,max_pods_per_node" ;;
    *) echo "" ;;
    esac
}

now() { date +%s.%N; }

for ini in "$here"/*.ini; do
    [ -e "$ini" ] || continue
    name=$(basename "$ini" .ini)
    selected "$name" || continue
    out=$work/$name
    rm -rf "$out"
    start=$(now)
    if grep -q '^# golden: plan' "$ini"; then
        files="ipam.csv migrations.csv"
        "$cnisim" plan "$ini" -o "$out" ${sets[@]+"${sets[@]}"} >"$work/$name.log" 2>&1
    else
        files="summary.csv ipam.csv"
        "$cnisim" run "$ini" -o "$out" -j 2 --quiet ${sets[@]+"${sets[@]}"} >"$work/$name.log" 2>&1
    fi
    rc=$?
    secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
    if [ $rc -ne 0 ]; then
        sed 's/^/    /' "$work/$name.log"
        fail "$name: cnisim exited with status $rc (${secs} s)"
        continue
    fi
    pinned=$here/$name
    if [ "$update" = 1 ]; then
        mkdir -p "$pinned"
        changed=""
        for f in $files; do
            if ! cmp -s "$out/$f" "$pinned/$f"; then
                cp "$out/$f" "$pinned/$f" && changed="$changed $f"
            fi
        done
        if [ -n "$changed" ]; then
            pass "$name: updated$changed (${secs} s)"
        else
            pass "$name: unchanged (${secs} s)"
        fi
        continue
    fi
    bad=0
    for f in $files; do
        if [ ! -f "$pinned/$f" ]; then
            echo "    $name/$f: not pinned yet; run 'make golden-update' (see the README)"
            bad=1
        elif ! cmp -s "$pinned/$f" "$out/$f"; then
            bad=1
            awk -v keys="$(keys_of "$f")" -v label="$(label_of "$f" "$pinned/$f")" \
                -v name="$name/$f" -v max=10 -f "$here/csvdiff.awk" "$pinned/$f" "$out/$f" |
                sed 's/^/    /'
            if [ "${PIPESTATUS[0]}" = 0 ]; then
                echo "    $name/$f: same rows and values, but the bytes differ:"
                diff "$pinned/$f" "$out/$f" | head -n 10 | sed 's/^/      /'
            fi
        fi
    done
    if [ $bad = 0 ]; then
        pass "$name (${secs} s)"
    else
        fail "$name: differs from tests/golden/$name/ (${secs} s)"
    fi
done

# Every shipped scenario has a golden version.
if [ ${#only[@]} -eq 0 ]; then
    for s in "$root"/scenarios/*.ini; do
        [ -e "$s" ] || continue
        n=$(basename "$s" .ini)
        if [ ! -f "$here/$n.ini" ]; then
            fail "$n: scenarios/$n.ini has no golden version tests/golden/$n.ini"
        fi
    done
fi

if [ "$failed" -gt 0 ] && [ "$update" = 0 ]; then
    echo "If the change is a deliberate model change, regenerate with 'make golden-update'"
    echo "and state the reason and the numbers that moved in the commit message."
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
