#!/bin/bash
# Bad input, catalogued (issue 5, part 5): every malformed scenario or command
# line under tests/bad-input/ must be refused cleanly.
#
#   tests/bad-input/run.sh BUILD_DIR/app/cnisim [NAME...]
#
# A case is a NAME.expected file (a substring the error message must contain)
# and either
#   NAME.ini   a scenario, run as: cnisim run NAME.ini -o OUT
#   NAME.args  the command line, one argument per line, with @OUT@ (a fresh
#              output path), @DIR@ (this directory), @INI@ (NAME.ini) and @NL@
#              (a newline) replaced; blank lines and lines starting with '#'
#              are skipped.
# Each case must exit with status 2, print exactly one line on stderr that
# contains the expected text, print nothing on stdout, and leave nothing
# behind: OUT must not exist afterwards and the working directory (an empty
# temporary directory) must still be empty.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 PATH/TO/cnisim [NAME...]" >&2
    exit 2
fi
cnisim=$(realpath "$1")
shift
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnisim-bad-input.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$dir"/*.expected; do
        names+=("$(basename "$f" .expected)")
    done
fi

passed=0
failed=0
for name in "${names[@]}"; do
    work="$tmp/$name"
    mkdir -p "$work/cwd"
    out="$work/out"
    args=()
    if [ -f "$dir/$name.args" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            case "$line" in '' | '#'*) continue ;; esac
            line=${line//@OUT@/$out}
            line=${line//@DIR@/$dir}
            line=${line//@INI@/$dir/$name.ini}
            line=${line//@NL@/$'\n'}
            args+=("$line")
        done <"$dir/$name.args"
    elif [ -f "$dir/$name.ini" ]; then
        args=(run "$dir/$name.ini" -o "$out")
    else
        echo "FAIL $name: neither $name.ini nor $name.args"
        failed=$((failed + 1))
        continue
    fi
    expected=$(cat "$dir/$name.expected")

    (cd "$work/cwd" && exec timeout -k 5 30 "$cnisim" "${args[@]}") \
        >"$work/stdout" 2>"$work/stderr" </dev/null
    status=$?

    why=()
    [ "$status" -eq 2 ] || why+=("exit status $status, expected 2")
    grep -qF -- "$expected" "$work/stderr" || why+=("stderr lacks: $expected")
    lines=$(wc -l <"$work/stderr")
    bytes=$(wc -c <"$work/stderr")
    if [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$work/stderr" | od -An -c | tr -d ' ')" != '\n' ]; then
        why+=("stderr is $lines line(s) and $bytes bytes, expected one line")
    fi
    [ -s "$work/stdout" ] && why+=("stdout not empty: $(head -c 200 "$work/stdout")")
    [ -e "$out" ] && why+=("left output behind in the -o directory")
    [ -n "$(ls -A "$work/cwd")" ] && why+=("left output in the working directory: $(ls -A "$work/cwd")")

    if [ ${#why[@]} -eq 0 ]; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: cnisim ${args[*]}"
        for w in "${why[@]}"; do
            echo "     - $w"
        done
        sed 's/^/     stderr: /' "$work/stderr" | head -5
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
