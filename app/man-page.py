#!/usr/bin/env python3
"""Fill the man page template (cnisim.1.scd) from the built binary, so its
lists of keys, calibration entries and shipped scenarios are always the
binary's own.

usage: man-page.py CNISIM TEMPLATE SOURCE_ROOT VERSION PKGDATADIR DOCDIR OUTPUT
"""
import os
import re
import subprocess
import sys


def esc(text):
    # scdoc formatting characters, and a leading '-' or '#' would start a
    # list or a heading.
    return re.sub(r'([\\*_`])', r'\\\1', text)


def run(cnisim, *args, env=None):
    out = subprocess.run([cnisim, *args], check=True, capture_output=True, text=True, env=env)
    return out.stdout.splitlines()


def keys(cnisim):
    """'cnisim help keys': '[group]' lines, then '  key   help' lines."""
    parts, group, n = [], None, 0
    for line in run(cnisim, 'help', 'keys'):
        m = re.fullmatch(r'\[([a-z_]+(?: NAME)?)\]', line)
        if m:
            group = m.group(1)
            parts.append('## [%s]\n' % group)
            continue
        if not line.strip():
            continue
        m = re.fullmatch(r'  ([a-z][a-z0-9_]*) +(.*)', line)
        if group == 'costs':
            parts.append(esc(line.strip()) + '; see CALIBRATION ENTRIES.\n')
            continue
        if not m or group is None:
            sys.exit('man-page.py: unexpected line in cnisim help keys: %r' % line)
        parts.append('*%s*\n\t%s\n' % (esc(m.group(1)), esc(m.group(2))))
        n += 1
    if n < 10:
        sys.exit('man-page.py: only %d keys in cnisim help keys' % n)
    return '\n'.join(parts)


def columns(header, line):
    """Split a row of a table printed with fixed widths: the first two
    columns (name, a right-aligned default) by words, the others from where
    their header word starts (a range such as '0..255 whole' has a blank)."""
    starts = [m.start() for m in re.finditer(r'\S+', header)]
    names = header.split()
    f = dict(zip(names[:2], line[:starts[2]].split()))
    for i in range(2, len(names)):
        end = starts[i + 1] if i + 1 < len(names) else None
        f[names[i]] = line[starts[i]:end].strip()
    return f


def costs(cnisim):
    """'cnisim help costs': a header naming the columns (name, default, ...,
    st, source), one row per entry, then a blank line and a legend."""
    lines = run(cnisim, 'help', 'costs')
    head = lines[0].split()
    if head[0] != 'name' or head[-2:] != ['st', 'source']:
        sys.exit('man-page.py: unexpected header in cnisim help costs: %r' % lines[0])
    rows = []
    for line in lines[1:]:
        if not line.strip():
            break
        f = columns(lines[0], line)
        if f.get('st') not in ('R', 'D', 'A', 'F'):
            sys.exit('man-page.py: unexpected line in cnisim help costs: %r' % line)
        text = '*%s* = %s' % (esc(f['name']), esc(f.get('default', '')))
        if 'unit' in f:
            text += ' ' + esc(f['unit'])
        if 'range' in f:
            text += ' (range %s)' % esc(f['range'])
        rows.append(text)
    if len(rows) < 10:
        sys.exit('man-page.py: only %d entries in cnisim help costs' % len(rows))
    # One entry per line: a line break in scdoc is a trailing '++'.
    return ' ++\n'.join(rows) + '\n'


def scenarios(cnisim, root):
    env = dict(os.environ, CNISIM_DATADIR=root)
    parts = []
    for line in run(cnisim, 'help', 'scenarios', env=env)[1:]:
        m = re.fullmatch(r'  (\S+) +(.*)', line)
        if not m:
            sys.exit('man-page.py: unexpected line in cnisim help scenarios: %r' % line)
        parts.append('*%s*\n\t%s\n' % (esc(m.group(1)), esc(m.group(2))))
    if not parts:
        sys.exit('man-page.py: no shipped scenarios under %s/scenarios' % root)
    return '\n'.join(parts)


def main():
    cnisim, template, root, version, pkgdatadir, docdir, output = sys.argv[1:]
    with open(template) as f:
        text = f.read()
    for name, value in (('@KEYS@', keys(cnisim)), ('@COSTS@', costs(cnisim)),
                        ('@SCENARIOS@', scenarios(cnisim, root)), ('@VERSION@', version),
                        ('@PKGDATADIR@', esc(pkgdatadir)), ('@DOCDIR@', esc(docdir))):
        if name not in text:
            sys.exit('man-page.py: %s not in %s' % (name, template))
        text = text.replace(name, value)
    with open(output, 'w') as f:
        f.write(text)


main()
