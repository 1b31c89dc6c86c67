#!/usr/bin/env python3
"""Write the result of `cnisim calibrate -o COSTS` into the shipped model.

    tests/validation/apply-fit.py COSTS [--commit HASH]

- every global parameter of COSTS becomes its entry's default in
  models/calibration.def, status 'F', with the fit's figures, standard error,
  bounds and the entry's previous value and source kept for the record;
- every scoped parameter (a property of some cases, such as the TKE network
  latency of the imroc cases) is written into the [costs] group of the cases
  it applies to.

Run from the top of the source tree, then rebuild and run
`cnisim check-model`."""
import configparser
import fnmatch
import glob
import re
import sys

ROOT_DEF = "models/calibration.def"
FREE = "tests/validation/free.ini"
CASES = "tests/validation/cases"


def c_string(text, indent="    ", width=96):
    """A C string literal split over lines of at most width columns."""
    words = text.replace("\\", "\\\\").replace('"', '\\"').split(" ")
    lines, cur = [], ""
    for w in words:
        if cur and len(indent) + len(cur) + len(w) + 4 > width:
            lines.append(cur + " ")
            cur = w
        else:
            cur = w if not cur else cur + " " + w
    lines.append(cur)
    return "\n".join(indent + '"' + l + '"' for l in lines)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    costs_path = sys.argv[1]
    commit = sys.argv[sys.argv.index("--commit") + 1] if "--commit" in sys.argv else None
    text = open(costs_path).read()
    header = re.search(r"^# cnisim calibrate, (.+? UTC)", text, re.M)
    stamp = header.group(1) if header else "unknown date"
    figures = re.findall(r"^#   (\S+) (\S+): published (\S+), simulated (\S+)$", text, re.M)
    fit = {}
    for m in re.finditer(r"^# \+- (\S+) \(one standard error\), bounds \[(\S+), (\S+)\], "
                         r"start (\S+)\n(\w+) = (\S+)$", text, re.M):
        fit[m.group(5)] = dict(sd=m.group(1), lo=m.group(2), hi=m.group(3), value=m.group(6))
    scoped = re.findall(r"^# scoped to cases (\S+) \(set it in those case files\): (\w+) = (\S+)"
                        r"(?: \+- \S+)?$",
                        text, re.M)
    if not fit:
        sys.exit(f"{costs_path}: no fitted [costs] entries")

    by_case = {}
    for case, metric, pub, sim in figures:
        by_case.setdefault(case, []).append(f"{metric} {pub}")
    fitted_to = "; ".join(f"{c}: {', '.join(v)}" for c, v in by_case.items())
    where = f"cnisim calibrate {stamp}" + (f", main at {commit}" if commit else "")

    src = open(ROOT_DEF).read()
    for name, f in fit.items():
        pat = re.compile(r"CAL\(" + name + r", ([^,]+), ([^,]+), ([^,]+), (\"[^\"]*\"), '(.)',\n"
                         r"((?:    \"(?:[^\"\\]|\\.)*\"\n?)+)\)")
        m = pat.search(src)
        if not m:
            sys.exit(f"{ROOT_DEF}: no entry {name}")
        old_value, old_status = m.group(1), m.group(5)
        old_source = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(6)))
        # A refit keeps the record of the value before the first fit.
        before = re.search(r"Before the fit: .*$", old_source) if old_status == "F" else None
        before = before.group(0) if before else \
            f"Before the fit: {old_value} ({old_status}), {old_source}"
        value = float(f["value"])
        new_source = (f"Fitted by {where} (tests/validation/free.ini bounds {f['lo']} to "
                      f"{f['hi']}, one standard error {f['sd']}), jointly with the other 'F' "
                      f"entries, to the fit figures of tests/validation/cases ({fitted_to}). "
                      f"{before}")
        new = (f"CAL({name}, {value:.6g}, {m.group(2)}, {m.group(3)}, {m.group(4)}, 'F',\n"
               f"{c_string(new_source)})")
        src = src[:m.start()] + new + src[m.end():]
    open(ROOT_DEF, "w").write(src)

    free = configparser.ConfigParser(interpolation=None)
    free.read(FREE)
    for pattern, pname, value in scoped:
        sec = free["param " + pname]
        entry = sec.get("entry", pname).strip()
        for path in sorted(glob.glob(f"{CASES}/*.ini")):
            case = path.rsplit("/", 1)[1][:-4]
            if not fnmatch.fnmatch(case, pattern):
                continue
            body = open(path).read()
            new, n = re.subn(r"(\[costs\](?:\n#[^\n]*)*\n(?:[^\[\n][^\n]*\n)*?)" + entry +
                             r" = [^\n]*\n", lambda m: m.group(1) + f"{entry} = {float(value):.6g}\n",
                             body)
            if n != 1:
                sys.exit(f"{path}: no '{entry} = ' in its [costs] group to update")
            open(path, "w").write(new)
    print(f"updated {', '.join(fit)} in {ROOT_DEF}" +
          (f"; {', '.join(p for _, p, _ in scoped)} in the cases" if scoped else ""))


main()
