#!/bin/bash
# A cnisim batch in SHARDS slices with GNU parallel, on this machine or over
# ssh (HOSTS=host1,host2: each needs cnisim, and RESULTS on a shared file
# system), then merged into the bytes of a single run:
#   SCENARIO=service-scale SHARDS=8 HOSTS=host1,host2 deploy/parallel.sh
# Environment: SCENARIO (default service-scale), SHARDS (8), HOSTS (":",
# this machine), RESULTS (./results), OUT (./out/NAME), CNISIM (cnisim).
set -euo pipefail
scenario=${SCENARIO:-service-scale}
shards=${SHARDS:-8}
results=${RESULTS:-$PWD/results}
out=${OUT:-$PWD/out/$(basename "$scenario" .ini)}
cnisim=${CNISIM:-cnisim}
mkdir -p "$results"
# The line itself (README, "Beyond one machine"):
parallel --will-cite --halt now,fail=1 -S "${HOSTS:-:}" \
    "$cnisim" run "$scenario" -o "$results/s{}" --shard "{}/$shards" --quiet ::: $(seq "$shards")
"$cnisim" merge "$results"/s* -o "$out"
