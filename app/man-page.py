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
        m = re.fullmatch(r'\[([a-z_]+)\]', line)
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


def costs(cnisim):
    """'cnisim help costs': a header, 'name default unit st source' rows,
    then a blank line and a legend."""
    lines = run(cnisim, 'help', 'costs')
    rows = []
    for line in lines[1:]:
        if not line.strip():
            break
        f = line.split(None, 4)
        if len(f) < 4 or f[3] not in ('R', 'D', 'A', 'F'):
            sys.exit('man-page.py: unexpected line in cnisim help costs: %r' % line)
        rows.append('*%s* = %s %s' % (esc(f[0]), esc(f[1]), esc(f[2])))
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
