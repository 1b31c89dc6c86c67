#!/bin/bash
# deploy/parallel.sh with GNU parallel on this machine (HOSTS=":"): the
# merged output of its shards is byte-identical to a single `cnisim run`.
#
#   tests/deploy/parallel.sh BUILD_DIR/app/cnisim SOURCE_DIR
set -u
cnisim=$(realpath "$1")
src=$(realpath "$2")
scenario=$src/tests/golden/service-scale.ini
command -v parallel >/dev/null || { echo "FAIL: GNU parallel not found (apt-get install parallel)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-parallel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
SCENARIO=$scenario SHARDS=5 RESULTS=$tmp/results OUT=$tmp/merged CNISIM=$cnisim \
    "$src/deploy/parallel.sh" || { echo "FAIL: deploy/parallel.sh"; exit 1; }
n=$(ls -d "$tmp"/results/s* | wc -l)
[ "$n" = 5 ] || { echo "FAIL: $n shard directories, expected 5"; exit 1; }
"$cnisim" run "$scenario" -o "$tmp/single" --quiet || { echo "FAIL: single run"; exit 1; }
for f in summary.csv runs.csv ipam.csv; do
    cmp "$tmp/single/$f" "$tmp/merged/$f" || { echo "FAIL: merged $f differs from a single run"; exit 1; }
done
echo "parallel: ok: 5 shards merged = single run"
