#!/bin/bash
# Submit a cnisim batch to Slurm: an array of SHARDS shard jobs, then the
# merge, which waits for all of them (--dependency=afterok).
#   SCENARIO=service-scale SHARDS=8 RESULTS=/shared/results OUT=/shared/out \
#       deploy/slurm/submit.sh [extra sbatch options...]
# Prints the two job ids (array, merge).  RESULTS and OUT must be on a file
# system the compute nodes share.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shards=${SHARDS:-8}
export SCENARIO=${SCENARIO:-service-scale}
export RESULTS=${RESULTS:-$PWD/results}
export OUT=${OUT:-$PWD/out/$(basename "$SCENARIO" .ini)}
array=$(sbatch --parsable --array="1-$shards" --export=ALL "$@" "$here/shard.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --export=ALL "$@" "$here/merge.sbatch")
echo "${array} ${merge%%;*}"
