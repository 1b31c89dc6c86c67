#!/usr/bin/env bash
# cnisim check-model and calibrate on the command line: bad input exits 2
# with one message naming the file; a fit figure out of tolerance exits 1;
# a good corpus exits 0 and writes validation.csv.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # status, then the command
    local want=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" = "$want" ] || { fail "exit $got (expected $want): $*"; cat "$tmp/err"; }
}

expect 2 "$bin" check-model --cases "$tmp/none"
grep -q "$tmp/none" "$tmp/err" || fail "check-model: the missing folder is not named"
expect 2 "$bin" check-model --cases "$tmp" extra
expect 2 "$bin" calibrate --cases "$tmp/none"

mkdir -p "$tmp/c"
cat >"$tmp/c/one.ini" <<'INI'
[case]
title = t
address = a
date = d
revision = r
role = fit
[scenario]
name = one
duration_s = 0.02
warmup_s = 0.002
[cluster]
nodes = 2
[workload]
concurrency = 1
client_nodes = 1
traffic = pod-to-pod-cross-node
requests_per_connection = 1000000000
request_bytes = 1
response_bytes = 1
server_time_us = 0
[plugins]
compare = azure-cni
[metric wide]
measure = latency_p50_us
published = 100
tolerance = 100
why = anything from 1 to 10,000 us passes
INI
expect 0 "$bin" check-model --cases "$tmp/c" -o "$tmp/o"
[ -s "$tmp/o/validation.csv" ] || fail "check-model -o wrote no validation.csv"
grep -q "^one,wide," "$tmp/o/validation.csv" || fail "validation.csv lacks the row"

# The same figure with a 1% tolerance around 10x the truth fails the fit.
sed -i 's/^published = 100$/published = 1000/; s/^tolerance = 100$/tolerance = 0.01/' "$tmp/c/one.ini"
expect 1 "$bin" check-model --cases "$tmp/c"
grep -q "fit figure" "$tmp/err" || fail "check-model does not say a fit figure failed"

# calibrate: a free parameter that is no calibration entry is bad input.
printf '[param no_such_cost]\nmin = 1\nmax = 2\nwhy = w\n' >"$tmp/free.ini"
expect 2 "$bin" calibrate --cases "$tmp/c" --free "$tmp/free.ini"
grep -q "free.ini: \[param no_such_cost\]" "$tmp/err" || fail "calibrate does not name the file and group"

[ "$fails" = 0 ] && echo "ok"
exit $((fails > 0))
