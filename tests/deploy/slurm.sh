#!/bin/bash
# deploy/slurm/ on a real, single-node Slurm: munged, slurmctld and slurmd
# from Debian's packages (slurm-wlm, munge), in the foreground, with a
# minimal configuration written here (private key, socket, ports, spool and
# state directories in a temporary directory, so nothing of the machine's
# own Slurm or munge is used or touched).  deploy/slurm/submit.sh submits the
# shard array and the merge (--dependency=afterok); the merged output must
# be byte-identical to a single `cnisim run`.  Needs root (slurmd).
#
#   tests/deploy/slurm.sh BUILD_DIR/app/cnisim SOURCE_DIR
set -u
cnisim=$(realpath "$1")
src=$(realpath "$2")
scenario=$src/tests/golden/service-scale.ini
shards=4
for p in munged slurmctld slurmd sbatch scontrol sinfo; do
    command -v $p >/dev/null || { echo "FAIL: $p not found (apt-get install slurm-wlm munge)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: slurmd needs root"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-slurm.XXXXXX")
chmod 700 "$tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
die() {
    echo "FAIL: $*"
    for f in "$tmp"/log/*; do echo "--- $f"; tail -20 "$f"; done
    exit 1
}
mkdir -p "$tmp"/{log,state,spool,munge,work}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# munge: its own key and socket.
dd if=/dev/urandom of="$tmp/munge/key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/key"
munged --foreground --force --key-file="$tmp/munge/key" --socket="$tmp/munge/sock" \
    --pid-file="$tmp/munge/pid" --log-file="$tmp/log/munged" --seed-file="$tmp/munge/seed" \
    2>>"$tmp/log/munged.err" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/munge/sock" ] && break; sleep 0.1; done
[ -S "$tmp/munge/sock" ] || die "munged did not start"

host=$(hostname -s)
node=$(slurmd -C | head -1 | sed 's/^NodeName=[^ ]*/NodeName=cnisimci/')
# slurmd -C reports the memory it sees; ask for a little less so that a
# kernel counting slightly differently does not drain the node.
node=$(echo "$node" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^RealMemory=/) { split($i, m, "="); $i = "RealMemory=" int(m[2] * 0.9) } print }')
cat >"$tmp/slurm.conf" <<CONF
ClusterName=cnisimci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld
SlurmdLogFile=$tmp/log/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=600
# Schedule every second, not every minute: the merge starts as soon as the
# array is done.
SchedulerParameters=sched_interval=1
$node NodeHostname=$host NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N cnisimci >>"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 100); do
    state=$(sinfo -h -n cnisimci -o %T 2>/dev/null)
    [ "$state" = idle ] && break
    sleep 0.2
done
[ "$state" = idle ] || die "the node is not idle after 20 s (state '$state')"

# The batch: submit.sh as a user would, then wait for the merge.
cd "$tmp/work" || exit 1
ids=$(SCENARIO=$scenario SHARDS=$shards RESULTS=$tmp/work/results OUT=$tmp/work/merged \
    CNISIM=$cnisim REPORT=0 "$src/deploy/slurm/submit.sh" --chdir="$tmp/work") ||
    die "submit.sh failed"
read -r array merge <<<"$ids"
# The merge waits for the array: Slurm holds it with the dependency...
scontrol show job "$merge" | grep -q "Dependency=afterok:${array}_\*" ||
    die "merge job $merge was not submitted with --dependency=afterok:$array: $(scontrol show job "$merge" | grep -o 'Dependency=[^ ]*')"
job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' '; }
for _ in $(seq 300); do
    s=$(job_state "$merge")
    case $s in *COMPLETED*|*FAILED*|*CANCELLED*|*TIMEOUT*) break ;; esac
    sleep 0.2
done
[ "$(job_state "$merge")" = "JobState=COMPLETED " ] ||
    { cat "$tmp"/work/*.log 2>/dev/null; die "merge job $merge: $(job_state "$merge")"; }
# Every task of the array ran, and succeeded, before the merge.
[ "$(job_state "$array")" = "JobState=COMPLETED " ] || die "array job $array: $(job_state "$array")"
# ...and it started only after every task had ended.
merge_start=$(scontrol show job "$merge" | grep -o 'StartTime=[^ ]*' | cut -d= -f2)
last_end=$(scontrol show job "$array" | grep -o 'EndTime=[^ ]*' | cut -d= -f2 | sort | tail -1)
[[ -n $last_end && ! $merge_start < $last_end ]] ||
    die "merge started at $merge_start, before the last shard ended ($last_end)"
tasks=$(ls -d "$tmp"/work/results/s* | wc -l)
[ "$tasks" = $shards ] || die "$tasks shard directories, expected $shards"
logs=$(ls "$tmp"/work/cnisim-shard-"$array"_*.log | wc -l)
[ "$logs" = $shards ] || die "$logs array task logs, expected $shards"

"$cnisim" run "$scenario" -o "$tmp/single" --quiet || die "single run failed"
for f in summary.csv runs.csv ipam.csv; do
    cmp "$tmp/single/$f" "$tmp/work/merged/$f" || die "merged $f differs from a single run"
done
echo "slurm: ok: array $array of $shards shards, merge $merge (afterok), merged output = single run"
