#!/bin/bash
# Checks bench/vs-ns3.sh against bench/fake-bench-scheduler.sh (ns-3's output
# format with fixed, made-up rates): it must pass --SchedulerType with each
# scheduler flag, read the first numbered row's simulation rate (not the
# "prime" row's), and fail with exit status 2 on a missing program.
#   check-vs-ns3.sh SOURCE_DIR/bench BUILD_DIR/bench/bench-hold
set -eu
src=$1
build=$(dirname "$(dirname "$2")")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() {
    echo "check-vs-ns3: $*" >&2
    cat "$out" >&2
    exit 1
}

"$src/vs-ns3.sh" -b "$build" -r 2 -t 2e4 -p "1e3 1e4" -s "Heap Map Calendar" \
    -c "$src/fake-bench-scheduler.sh" "$src/fake-bench-scheduler.sh" >"$out" 2>&1 ||
    fail "vs-ns3.sh exited with $?"
# The stand-in's rates: 1e6 * code / log10(pop), Map 1, Heap 2, Calendar 4;
# reading the prime row would give ten times these, ignoring
# --SchedulerType would give Map's for every scheduler.
for want in "round 1 pop 1000 ns3-Heap 666667" "round 2 pop 1000 ns3-Map 333333" \
    "round 2 pop 1000 ns3-Calendar 1.33333e+06" "round 1 pop 10000 ns3-Heap 500000" \
    "round 2 pop 10000 ns3-Calendar 1e+06"; do
    grep -qxF "$want" "$out" || fail "missing line: $want"
done
# medians table: one row per population, best (Calendar) as the denominator
# (pop, cnisim, Heap, Map, Calendar, cnisim/best, one ratio per round)
awk '$1 == "10000" && NF == 8 { ok = ($3 == "5e+05" && $4 == "2.5e+05" && $5 == "1e+06") }
     END { exit !ok }' "$out" || fail "medians row for pop 10000 wrong"
awk '$1 == "10000" && NF == 8 { r = $6 } / pop 10000 cnisim / { c[++n] = $6 }
     END { exit !(n == 2 && r > 0 && (r - (c[1] + c[2]) / 2 / 1e6) ^ 2 < 1e-4) }' "$out" ||
    fail "cnisim/best ratio for pop 10000 is not the median of cnisim / 1e6"
grep -q "^M/M/1, 1e6 customers" "$out" || fail "no M/M/1 line with -c"

if "$src/vs-ns3.sh" -b "$build" /nonexistent/bench-scheduler >"$out" 2>&1; then
    fail "a missing ns-3 program was accepted"
elif [ $? -ne 2 ]; then
    fail "a missing ns-3 program gave an exit status other than 2"
fi
grep -q "/nonexistent/bench-scheduler: not found" "$out" || fail "error does not name the program"
echo "vs-ns3.sh: ok"
