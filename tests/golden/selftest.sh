#!/usr/bin/env bash
# Self-test of the golden check: it must fail, naming the rows and columns,
# when the model changes, and csvdiff.awk must describe differences right.
#   tests/golden/selftest.sh CNISIM
set -u
cnisim=${1:?usage: selftest.sh CNISIM}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-golden-selftest.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/    /' "$tmp/out"; }

# Output of the last command in $tmp/out must contain every fixed string given.
has() {
    local s
    for s in "$@"; do
        grep -qF -- "$s" "$tmp/out" || { echo "    missing: $s"; return 1; }
    done
}

# 1. Unchanged model: the pinned quickstart passes (so test 2 is not vacuous).
"$here/check.sh" "$cnisim" --only quickstart >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && has "1 passed, 0 failed"; then
    ok "unchanged model passes"
else
    bad "unchanged model: exit $rc, expected 0"
fi

# 2. A changed calibration (twice the CPU per kube-proxy packet) fails and
#    the report names the row and the column that moved.
"$here/check.sh" "$cnisim" --only quickstart --set costs.nf_pkt_ns=2000 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] &&
    has "0 passed, 1 failed" "FAIL quickstart" \
        "quickstart/summary.csv: row scenario=quickstart point=1 variant=azure-cni class=pod-to-service" \
        "latency_mean_us" "changed columns:" "->"; then
    ok "changed model fails with a readable diff"
else
    bad "changed model: exit $rc, expected 1 and a diff naming latency_mean_us"
fi

# 3. --update refuses to pin a --set-modified model and leaves the files.
before=$(cksum <"$here/quickstart/summary.csv")
"$here/check.sh" "$cnisim" --update --only quickstart --set costs.nf_pkt_ns=2000 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ "$(cksum <"$here/quickstart/summary.csv")" = "$before" ]; then
    ok "--update with --set is refused"
else
    bad "--update with --set: exit $rc, expected 2 and the pinned file untouched"
fi

# 4. csvdiff.awk on small files.
diffcase() { # name keys expected-exit expected-strings...
    local name=$1 keys=$2 want=$3
    shift 3
    awk -v keys="$keys" -v label=services -v name=t.csv -f "$here/csvdiff.awk" \
        "$tmp/a.csv" "$tmp/b.csv" >"$tmp/out" 2>&1
    local rc=$?
    if [ $rc -eq "$want" ] && has "$@"; then
        ok "csvdiff: $name"
    else
        bad "csvdiff: $name: exit $rc, expected $want"
    fi
}
printf 'scenario,point,variant,services,class,lat\ns,1,"a,b",10,c1,1.5\ns,1,v,10,c1,2\n' >"$tmp/a.csv"
printf 'scenario,point,variant,services,class,lat\ns,1,"a,b",10,c1,1.5\ns,1,v,10,c1,3\n' >"$tmp/b.csv"
diffcase "changed value, quoted key" scenario,point,variant,class 1 \
    "t.csv: row scenario=s point=1 variant=v class=c1 (services=10):" "lat" "2 -> 3  (+50%)" \
    "1 of 2 rows changed, 0 gone, 0 new; changed columns: lat (1 row)"
printf 'scenario,point,variant,services,class,lat,extra\ns,1,"a,b",10,c1,1.5,0\n' >"$tmp/b.csv"
diffcase "column and row gone or new" scenario,point,variant,class 1 \
    "new column extra" "row scenario=s point=1 variant=v class=c1 is gone" "1 gone"
printf 'scenario,point,variant,services,class,lat\ns,1,v,10,c1,2\ns,1,"a,b",10,c1,1.5\n' >"$tmp/b.csv"
diffcase "same rows, other order" scenario,point,variant,class 1 "the same rows in a different order"
cp "$tmp/a.csv" "$tmp/b.csv"
diffcase "identical" scenario,point,variant,class 0
diffcase "missing key column" scenario,nosuch 2 "has no key column 'nosuch'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
