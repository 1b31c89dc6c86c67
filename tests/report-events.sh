#!/bin/bash
# A scenario with a scheduled event, end to end (cnisim run, then cnisim
# report): the report leads with the disruption window and the
# transactions failed in it, with their intervals over the replications,
# its first table is theirs, and the plots over time mark the event.  The
# same run without intervals says the window was not tested.
set -u
cnisim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name, condition (0 = pass)
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
# A rollout at 1 s of an open loop's target Services: iptables' full
# resyncs (azure-cni) leave removed endpoints programmed longer than
# nftables' per-change updates, so its window is the longer one (about
# 3.4 s against 3.0 s, replications within 0.1 s).
cat >"$tmp/s.ini" <<'INI'
[scenario]
name = evtest
seed = 1
replications = 3
duration_s = 8
warmup_s = 0
interval_s = 0.1
[cluster]
nodes = 10
vcpus_per_node = 4
services = 2000
endpoints_per_service = 4
[workload]
model = open
rate_rps = 4000
traffic = pod-to-service
target_services = 5
[plugins]
compare = azure-cni, azure-cni/nftables
[event roll]
at_s = 1
rollout = 5
max_surge = 25%
max_unavailable = 25%
pod_start_s = 0.5
INI
"$cnisim" run "$tmp/s.ini" -o "$tmp/on" -q -j 2 >/dev/null 2>"$tmp/err"
check "run with an event" $?
grep -q '^events=roll;$' "$tmp/on/meta.ini"; check "meta.ini names the event" $?
head -n 1 "$tmp/on/summary.csv" | grep -q ',disruption_s,disruption_failed,disruption_ci95_s,disruption_failed_ci95'
check "summary.csv has the window and its intervals" $?
PATH=/nonexistent "$cnisim" report "$tmp/on" >/dev/null 2>&1
check "report" $?
md=$tmp/on/report.md
# The findings open with the disruption, before the headline figures.
dis=$(grep -n '^\*\*Disruption\*\* (scheduled events: `roll` at 1 s)' "$md" | cut -d: -f1)
head_at=$(grep -n '^\*\*Headline figures\*\*' "$md" | cut -d: -f1)
[ -n "$dis" ] && [ -n "$head_at" ] && [ "$dis" -lt "$head_at" ]
check "findings lead with the disruption" $?
grep -Eq '^- \*\*disruption window\*\*: lowest `azure-cni/nftables` [0-9.]+ s ± [0-9.]+; highest `azure-cni` [0-9.]+ s ± [0-9.]+, ' "$md"
check "the window compared, with intervals" $?
grep -q '^- \*\*transactions failed in the disruption window\*\*: ' "$md"
check "the failed in it compared" $?
# The first table is the disruption's, with a value for every variant.
first_table=$(grep -n '^## ' "$md" | sed -n 2p)
case $first_table in *'## Disruption') r=0 ;; *) r=1 ;; esac
check "the first table is the disruption's ($first_table)" $r
rows=$(sed -n '/^## Disruption$/,/^## /p' "$md" | grep -Ec '^\| azure-cni[^|]* \| [0-9.]+ ± [0-9.]+ \|')
[ "$rows" -eq 2 ]; check "a window with its interval for each variant ($rows rows)" $?
# The plots over time mark the event.
grep -q '^Events: `roll` at 1 s\.$' "$md"; check "over time: the event named" $?
grep -q '^set arrow 1 from first 1, graph 0 to first 1, graph 1 nohead' "$tmp/on/plots/time-p1.gp"
check "over time: the event marked" $?
# Without intervals there is no window: said, not left out.
"$cnisim" run "$tmp/s.ini" -o "$tmp/off" -q -j 2 --set scenario.interval_s=0 >/dev/null 2>&1
PATH=/nonexistent "$cnisim" report "$tmp/off" >/dev/null 2>&1
check "run and report without intervals" $?
grep -q '^- \*\*disruption window\*\*: not tested: the runs kept no intervals' "$tmp/off/report.md"
check "no intervals: not tested" $?
[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
