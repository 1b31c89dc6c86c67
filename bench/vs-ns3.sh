#!/bin/bash
# cnisim's event engine side by side with ns-3's schedulers (and optionally
# Cimba's M/M/1), in interleaved rounds so that both see the same machine
# load: round 1 runs cnisim then each ns-3 scheduler, round 2 the same, ...
# Prints every run, then medians and per-round ratios.
#
#   bench/vs-ns3.sh [options] NS3_BENCH_SCHEDULER
#     -b DIR      cnisim release build directory (default: build-rel)
#     -r N        rounds (default 5)
#     -t T        events per run (default 5e6)
#     -p "P ..."  populations (default "1e4 1e5 1e6")
#     -s "S ..."  ns-3 schedulers among Heap PriorityQueue Map Calendar List
#                 (default "Heap PriorityQueue Map")
#     -c PATH     also run Cimba's MM1_single against bench-mm1 (1e6 customers)
#
# NS3_BENCH_SCHEDULER is a built ns-3 utils/bench-scheduler (ns-3.37 or later,
# whose output has a "prime" row then numbered rows), for example
# ns-3-dev/build/utils/ns3.45-bench-scheduler-optimized.  ns-3 and Cimba are
# not dependencies of cnisim and this script builds neither.
#
# Why --SchedulerType: bench-scheduler's --heap/--pri/--cal choose the
# scheduler with Simulator::SetScheduler() before the "prime" run, but each
# run ends with Simulator::Destroy(), and the simulator rebuilt for the next
# run takes its scheduler from the global SchedulerType, which defaults to
# ns3::MapScheduler.  So without --SchedulerType every numbered row measures
# the Map scheduler whatever the flag says.  This script passes both and
# reads the first numbered row (the "prime" row includes warm-up).
#
# cnisim's figure is bench-hold's events_per_s (the run loop only, as
# ns-3's "Simulation: Rate"); the M/M/1 comparison times both whole
# processes, since MM1_single prints no timing.
set -euo pipefail

build=build-rel
rounds=5
total=5e6
pops="1e4 1e5 1e6"
scheds="Heap PriorityQueue Map"
cimba=""

usage() {
    sed -n '6,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while getopts "b:r:t:p:s:c:h" opt; do
    case $opt in
    b) build=$OPTARG ;;
    r) rounds=$OPTARG ;;
    t) total=$OPTARG ;;
    p) pops=$OPTARG ;;
    s) scheds=$OPTARG ;;
    c) cimba=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
ns3=$1

die() {
    echo "vs-ns3.sh: $*" >&2
    exit 2
}

hold=$build/bench/bench-hold
mm1=$build/bench/bench-mm1
[ -x "$hold" ] || die "$hold: not found or not executable (build cnisim first: meson setup $build -Dbuildtype=release -Dtests=false && ninja -C $build)"
[ -x "$ns3" ] || die "$ns3: not found or not executable (expected a built ns-3 utils/bench-scheduler)"
[ -z "$cimba" ] || [ -x "$cimba" ] || die "$cimba: not found or not executable (expected Cimba's benchmark/MM1_single)"
[ -z "$cimba" ] || [ -x "$mm1" ] || die "$mm1: not found or not executable"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "-r $rounds: expected a positive integer"

# ns-3's CommandLine wants integers: 5e6 -> 5000000.
int() {
    awk -v x="$1" 'BEGIN { if (x !~ /^[0-9.]+([eE][0-9]+)?$/ || x + 0 < 1) exit 1; printf "%.0f", x }' ||
        die "'$1': expected a positive number"
}
total_i=$(int "$total")

flag_of() {
    case $1 in
    Heap) echo --heap ;;
    PriorityQueue) echo --pri ;;
    Map) echo --map ;;
    Calendar) echo --cal ;;
    List) echo --list ;;
    *) die "-s: unknown ns-3 scheduler '$1' (expected Heap PriorityQueue Map Calendar List)" ;;
    esac
}
for s in $scheds; do flag_of "$s" >/dev/null; done

results=$(mktemp)
trap 'rm -f "$results"' EXIT

# One cnisim hold run: prints events per second.
run_cnisim() {
    local out
    out=$("$hold" --pop "$1" --total "$total_i") || die "bench-hold failed: $out"
    echo "$out" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^events_per_s=/) { sub(/.*=/, "", $i); print $i; f = 1 } }
                       END { if (!f) exit 1 }' || die "bench-hold: no events_per_s in: $out"
}

# One ns-3 run: prints the first numbered row's simulation rate (column 6:
# label, init time, init rate, init per-event, simulation time, rate, per-event).
run_ns3() {
    local p=$1 s=$2 out
    out=$("$ns3" "$(flag_of "$s")" "--SchedulerType=ns3::${s}Scheduler" --pop="$p" --total="$total_i" --runs=1 2>&1) ||
        die "bench-scheduler failed ($s, pop $p): $out"
    echo "$out" | awk -v want="ns3::${s}Scheduler" '
        $1 == want || index($0, want) == 1 { seen = 1 }
        $1 ~ /^[0-9]+$/ && NF >= 7 && !done { print $6; done = 1 }
        END { if (!done) exit 1; if (!seen) exit 3 }' || {
        case $? in
        3) die "bench-scheduler ($s, pop $p): output does not name ns3::${s}Scheduler" ;;
        *) die "bench-scheduler ($s, pop $p): no numbered result row in its output:
$out" ;;
        esac
    }
}

# Wall seconds of a whole process.
wall() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || die "$1 failed"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -m); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# T = $total_i events per run, $rounds rounds, interleaved"
for r in $(seq 1 "$rounds"); do
    # The load average as each round starts: on a shared machine, the
    # rounds run under very different loads (not kept with the results, so
    # the summary's parsing is unchanged).
    echo "# round $r: load $(cut -d' ' -f1-3 /proc/loadavg)"
    for p in $pops; do
        p_i=$(int "$p")
        v=$(run_cnisim "$p_i")
        echo "round $r pop $p_i cnisim $v" | tee -a "$results"
        for s in $scheds; do
            v=$(run_ns3 "$p_i" "$s")
            echo "round $r pop $p_i ns3-$s $v" | tee -a "$results"
        done
    done
    if [ -n "$cimba" ]; then
        v=$(wall "$mm1" --customers 1e6)
        echo "round $r mm1 cnisim-s $v" | tee -a "$results"
        v=$(wall "$cimba")
        echo "round $r mm1 cimba-s $v" | tee -a "$results"
    fi
done

echo
echo "# medians (events/s); ratio = cnisim / ns-3 in the same round, median over rounds"
awk -v scheds="$scheds" '
    function median(list,    a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    # "round R pop P NAME RATE" and "round R mm1 NAME SECONDS"
    { R[$2 + 0] = 1 }
    $3 == "mm1" { mm[$4] = mm[$4] " " $5; mmr[$2, $4] = $5; next }
    { v[$4, $5] = v[$4, $5] " " $6; r[$2, $4, $5] = $6; pops[$4] = 1 }
    END {
        ns = split(scheds, S, " ")
        hdr = sprintf("%-8s %12s", "pop", "cnisim")
        for (i = 1; i <= ns; i++) hdr = hdr sprintf(" %14s", "ns3-" S[i])
        print hdr sprintf("  %-22s %s", "cnisim/best (median)", "per-round cnisim/best")
        np = 0
        for (p in pops) P[++np] = p + 0
        for (i = 2; i <= np; i++) for (j = i; j > 1 && P[j - 1] > P[j]; j--) { t = P[j]; P[j] = P[j - 1]; P[j - 1] = t }
        for (k = 1; k <= np; k++) {
            p = P[k]
            line = sprintf("%-8d %12.4g", p, median(v[p, "cnisim"]))
            for (i = 1; i <= ns; i++) line = line sprintf(" %14.4g", median(v[p, "ns3-" S[i]]))
            rl = ""; per = ""
            for (rd = 1; rd in R; rd++) {
                best = 0
                for (i = 1; i <= ns; i++) if (r[rd, p, "ns3-" S[i]] + 0 > best) best = r[rd, p, "ns3-" S[i]] + 0
                x = r[rd, p, "cnisim"] / best
                rl = rl " " x; per = per sprintf(" %.2f", x)
            }
            print line sprintf("  %-22.2f%s", median(rl), per)
        }
        if (length(mm) > 0) {
            printf "\nM/M/1, 1e6 customers, whole-process wall seconds (median): cnisim %.4f, Cimba %.4f\n",
                median(mm["cnisim-s"]), median(mm["cimba-s"])
            rl = ""; per = ""
            for (rd = 1; rd in R; rd++) { x = mmr[rd, "cimba-s"] / mmr[rd, "cnisim-s"]; rl = rl " " x; per = per sprintf(" %.2f", x) }
            printf "Cimba / cnisim time: median %.2f, per round%s\n", median(rl), per
        }
    }' "$results"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
