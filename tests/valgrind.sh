#!/usr/bin/env bash
# Run a small scenario under valgrind memcheck; fail on any error or on
# definitely-lost bytes.
set -euo pipefail
cnisim=${1:?usage: valgrind.sh path/to/cnisim}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite --log-file="$tmp/vg.log" \
  "$cnisim" run "$here/valgrind.ini" -o "$tmp/out" -j 2 --quiet
grep -E "ERROR SUMMARY|definitely lost" "$tmp/vg.log" || true
if grep -q "definitely lost: [1-9]" "$tmp/vg.log"; then
  echo "valgrind: definitely-lost bytes"; exit 1
fi
grep -q "ERROR SUMMARY: 0 errors" "$tmp/vg.log" || { cat "$tmp/vg.log"; exit 1; }
echo "valgrind memcheck: 1 passed, 0 failed"
