#!/bin/bash
# A stand-in for ns-3's utils/bench-scheduler (ns-3.37 or later) that prints
# its output format, for testing bench/vs-ns3.sh without building ns-3.  Like
# the real program, the scheduler flag (--heap, --pri, ...) names the table
# and is used for the "prime" row only; the numbered rows run whatever
# --SchedulerType says (default ns3::MapScheduler).  Rates are made up but
# fixed: 1e6 * (code of the scheduler) / log10(pop) events/s, where the
# codes are Map 1, Heap 2, PriorityQueue 3, Calendar 4, List 5; the prime
# row reports ten times that, so reading it instead would show.
set -eu
flag=map type=ns3::MapScheduler pop=100000 total=1000000 runs=1
for a in "$@"; do
    case $a in
    --heap) flag=heap ;;
    --pri) flag=pri ;;
    --map) flag=map ;;
    --cal) flag=cal ;;
    --list) flag=list ;;
    --SchedulerType=*) type=${a#--SchedulerType=} ;;
    --pop=*) pop=${a#--pop=} ;;
    --total=*) total=${a#--total=} ;;
    --runs=*) runs=${a#--runs=} ;;
    *) echo "Invalid command-line argument: $a" >&2; exit 1 ;;
    esac
done
code() {
    case $1 in
    ns3::MapScheduler | map) echo 1 ;;
    ns3::HeapScheduler | heap) echo 2 ;;
    ns3::PriorityQueueScheduler | pri) echo 3 ;;
    ns3::CalendarScheduler | cal) echo 4 ;;
    ns3::ListScheduler | list) echo 5 ;;
    *) echo "unknown scheduler $1" >&2; exit 1 ;;
    esac
}
name() {
    case $1 in
    map) echo "ns3::MapScheduler (default)" ;;
    heap) echo "ns3::HeapScheduler" ;;
    pri) echo "ns3::PriorityQueueScheduler" ;;
    cal) echo "ns3::CalendarScheduler: insertion order: normal" ;;
    list) echo "ns3::ListScheduler" ;;
    esac
}
row() { # label rate
    awk -v l="$1" -v r="$2" -v t="$total" -v p="$pop" 'BEGIN {
        printf "%-12s%-12.6g%-12.6g%-12.6g%-12.6g%-12.6g%-12.6g\n", l, 0.001, p / 0.001, 0.001 / p, t / r, r, 1 / r }'
}
rate() { awk -v c="$1" -v p="$pop" 'BEGIN { printf "%.0f", 1e6 * c / (log(p) / log(10)) }'; }
echo
echo "bench-scheduler:  Benchmark the simulator scheduler"
echo "  Event population size:        $pop"
echo "  Total events per run:         $total"
echo "  Number of runs per scheduler: $runs"
echo "  Event time distribution:      default exponential"
echo
name $flag
printf "%-12s%-36s%s\n" "Run #" "Initialization:" "Simulation:"
printf "%-12s%-12s%-12s%-12s%-12s%-12s%s\n" "" "Time (s)" "Rate (ev/s)" "Per (s/ev)" "Time (s)" "Rate (ev/s)" "Per (s/ev)"
echo "----------- ----------- ----------- ----------- ----------- ----------- -----------"
row prime $(($(rate $(code $flag)) * 10))
for ((i = 0; i < runs; i++)); do row $i $(rate $(code $type)); done
echo
