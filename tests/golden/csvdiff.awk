# csvdiff.awk: a readable difference between two CSV files with a header
# line, for the golden regression check.
#
#   awk -v keys=scenario,point,variant,class [-v label=services,nodes] \
#       [-v name=summary.csv] [-v max=20] -f csvdiff.awk PINNED NEW
#
# Rows are matched by the key columns.  For every row whose values differ it
# prints the key (and the label columns, for reading: the swept values) and
# each changed column with its pinned and new value, and the relative change
# when both are numbers.  Then rows only in one file, columns only in one
# header, and a per-column count.  Exit status 0 when the rows and columns
# are the same (they may still differ in order or bytes: the caller compares
# bytes first), 1 when something differs.  POSIX awk (mawk is fine).

# Split one CSV line into f[1..n] (RFC 4180 quoting, as cn_csv_string writes).
function csvsplit(line, f,    n, i, c, q, cur, len) {
    if (index(line, "\"") == 0)
        return split(line, f, ",")
    n = 0; cur = ""; q = 0; len = length(line)
    for (i = 1; i <= len; i++) {
        c = substr(line, i, 1)
        if (q) {
            if (c == "\"") {
                if (substr(line, i + 1, 1) == "\"") { cur = cur c; i++ }
                else q = 0
            } else
                cur = cur c
        } else if (c == "\"")
            q = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else
            cur = cur c
    }
    f[++n] = cur
    return n
}

function isnum(s) {
    return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/
}

# The key of a row of file w (1 pinned, 2 new) as "a=x b=y", from f[].
function rowkey(w, f,    i, k) {
    k = ""
    for (i = 1; i <= nkeys; i++)
        k = k (i > 1 ? " " : "") keyname[i] "=" f[keycol[w, i]]
    return k
}

function rowlabel(w, f,    i, s) {
    s = ""
    for (i = 1; i <= nlabel; i++)
        if ((w, labelname[i]) in col)
            s = s (s == "" ? "" : " ") labelname[i] "=" f[col[w, labelname[i]]]
    return s == "" ? "" : " (" s ")"
}

BEGIN {
    if (name == "") name = "csv"
    if (max == "") max = 20
    nkeys = split(keys, keyname, ",")
    nlabel = split(label, labelname, ",")
    if (nkeys == 0) {
        print "csvdiff.awk: no key columns given (-v keys=a,b,...)" > "/dev/stderr"
        bad = 2; exit 2
    }
}

FNR == 1 {
    w = (FILENAME == ARGV[1]) ? 1 : 2
    ncol[w] = csvsplit($0, h)
    for (i = 1; i <= ncol[w]; i++) {
        colname[w, i] = h[i]
        col[w, h[i]] = i
    }
    for (i = 1; i <= nkeys; i++) {
        if (!((w, keyname[i]) in col)) {
            printf "%s: %s file has no key column '%s'\n", name, (w == 1 ? "pinned" : "new"),
                keyname[i]
            bad = 2; exit 2
        }
        keycol[w, i] = col[w, keyname[i]]
    }
    next
}

{
    w = (FILENAME == ARGV[1]) ? 1 : 2
    csvsplit($0, f)
    k = rowkey(w, f)
    if ((w, k) in row) {
        printf "%s: %s file has the key %s twice\n", name, (w == 1 ? "pinned" : "new"), k
        duplicate = 1
    }
    row[w, k] = $0
    nrows[w]++
    order[w, nrows[w]] = k
}

END {
    if (bad)
        exit bad
    # Columns in one header only.
    for (i = 1; i <= ncol[1]; i++)
        if (!((2, colname[1, i]) in col)) {
            printf "%s: column %s is gone (it was column %d)\n", name, colname[1, i], i
            differ = 1
        }
    for (i = 1; i <= ncol[2]; i++)
        if (!((1, colname[2, i]) in col)) {
            printf "%s: new column %s (column %d)\n", name, colname[2, i], i
            differ = 1
        }
    for (i = 1; i <= ncol[1] && i <= ncol[2]; i++)
        if (colname[1, i] != colname[2, i]) {
            printf "%s: the columns are in a different order (column %d: %s, now %s)\n", name, i,
                colname[1, i], colname[2, i]
            differ = 1
            break
        }

    changed = 0; shown = 0
    for (r = 1; r <= nrows[1]; r++) {
        k = order[1, r]
        if (!((2, k) in row) || row[1, k] == row[2, k])
            continue
        n1 = csvsplit(row[1, k], a)
        n2 = csvsplit(row[2, k], b)
        nd = 0
        for (i = 1; i <= ncol[1]; i++) {
            c = colname[1, i]
            if (!((2, c) in col))
                continue
            o = a[i]; v = b[col[2, c]]
            if (o == v)
                continue
            if (nd == 0) {
                changed++
                if (max == 0 || shown < max)
                    printf "%s: row %s%s:\n", name, k, rowlabel(1, a)
                shown++
            }
            nd++
            ncolchg[c]++
            if (!(c in colseen)) { colseen[c] = 1; colorder[++ncolorder] = c }
            if (max == 0 || shown <= max) {
                rel = ""
                if (isnum(o) && isnum(v) && o + 0 != 0)
                    rel = sprintf("  (%+.3g%%)", (v - o) / (o < 0 ? -o : o) * 100)
                printf "    %-22s %s -> %s%s\n", c, o, v, rel
            }
        }
        if (nd == 0 && n1 == n2) {
            # Same values, different bytes (e.g. quoting).
            changed++
            if (max == 0 || shown < max)
                printf "%s: row %s: same values, different text\n", name, k
            shown++
        }
    }
    if (max > 0 && shown > max)
        printf "%s: ... and %d more changed rows (not shown)\n", name, shown - max
    gone = 0
    for (r = 1; r <= nrows[1]; r++)
        if (!((2, order[1, r]) in row)) {
            if (gone++ < 10)
                printf "%s: row %s is gone\n", name, order[1, r]
        }
    if (gone > 10)
        printf "%s: ... and %d more rows gone\n", name, gone - 10
    added = 0
    for (r = 1; r <= nrows[2]; r++)
        if (!((1, order[2, r]) in row)) {
            if (added++ < 10)
                printf "%s: new row %s\n", name, order[2, r]
        }
    if (added > 10)
        printf "%s: ... and %d more new rows\n", name, added - 10

    if (changed || gone || added) {
        differ = 1
        printf "%s: %d of %d rows changed, %d gone, %d new", name, changed, nrows[1], gone, added
        if (ncolorder) {
            printf "; changed columns:"
            for (i = 1; i <= ncolorder; i++)
                printf "%s %s (%d row%s)", (i > 1 ? "," : ""), colorder[i], ncolchg[colorder[i]],
                    (ncolchg[colorder[i]] == 1 ? "" : "s")
        }
        printf "\n"
    }
    if (!differ && !duplicate) {
        for (r = 1; r <= nrows[1]; r++)
            if (order[1, r] != order[2, r]) {
                printf "%s: the same rows in a different order (row %d: %s, now %s)\n", name, r,
                    order[1, r], order[2, r]
                differ = 1
                break
            }
    }
    exit (differ || duplicate) ? 1 : 0
}
