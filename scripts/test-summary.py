#!/usr/bin/env python3
"""Closing summary of scripts/test.sh from ctest's JUnit files.

Usage: test-summary.py PHASE:BUILD_DIR:JUNIT_XML ...

For each phase, the labels of its tests come from `ctest --show-only=json-v1`
in BUILD_DIR and the results from JUNIT_XML (ctest --output-junit). Prints,
per label, how many tests ran, passed, failed and were skipped; then every
skipped test with its reason and every failed test; and last a plain line
"N passed, N failed, N skipped".

Exit status: 1 when a test failed, or when CI=true and a test was skipped
(a suite that cannot run a test must not look green there), or when CI=true
and a phase ran no test at all; else 0.
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def labels_of(build):
    out = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build,
                         capture_output=True, text=True, check=False).stdout
    labels = {}
    try:
        for t in json.loads(out).get("tests", []):
            for p in t.get("properties", []):
                if p.get("name") == "LABELS":
                    labels[t["name"]] = list(p.get("value", []))
    except ValueError:
        pass
    return labels


def reason_of(case):
    """The skip reason a test printed: its SKIP/skip lines, else its last
    non-empty output line, else what ctest recorded."""
    out = (case.findtext("system-out") or "").splitlines()
    lines = [l.strip() for l in out if l.strip()]
    picked = [l for l in lines if "skip" in l.lower()
              and "listed below" not in l and "SKIPPED TEST" not in l]
    why = "; ".join(picked[-3:]) if picked else (lines[-1] if lines else "")
    sk = case.find("skipped")
    if not why and sk is not None:
        why = sk.get("message", "")
    return (why or "no reason printed")[:300]


def main(argv):
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    rows = {}  # label -> [passed, failed, skipped]
    skipped, failed, empty = [], [], []
    tot = [0, 0, 0]
    for spec in argv:
        phase, build, junit = spec.split(":", 2)
        labels = labels_of(build)
        try:
            cases = ET.parse(junit).getroot().iter("testcase")
        except (OSError, ET.ParseError):
            cases = []
        n = 0
        for c in cases:
            n += 1
            name, st = c.get("name"), c.get("status")
            k = 0 if st == "run" else 1 if st == "fail" else 2
            tot[k] += 1
            tags = labels.get(name) or ["(none)"]
            for lb in tags:
                key = lb if phase == "normal" else f"{lb} ({phase})"
                rows.setdefault(key, [0, 0, 0])[k] += 1
            who = f"{name} [{','.join(tags)}{'' if phase == 'normal' else ', ' + phase}]"
            if k == 2:
                skipped.append(f"{who}: {reason_of(c)}")
            elif k == 1:
                failed.append(who)
        if n == 0:
            empty.append(phase if phase != "normal" else os.path.basename(junit))
    print("== test summary (a test with several labels counts under each)")
    print(f"   {'label':<22}{'ran':>6}{'passed':>8}{'failed':>8}{'skipped':>9}")
    for key in sorted(rows):
        p, f, s = rows[key]
        print(f"   {key:<22}{p + f:>6}{p:>8}{f:>8}{s:>9}")
    if skipped:
        print(f"skipped ({len(skipped)}), with the reasons they gave:")
        for s in skipped:
            print(f"   {s}")
    if failed:
        print(f"failed ({len(failed)}):")
        for f in failed:
            print(f"   {f}")
    rc = 1 if failed else 0
    if ci and skipped:
        print(f"CI=true: {len(skipped)} skipped test(s) fail the run")
        rc = 1
    if ci and empty:
        print(f"CI=true: no test ran in: {', '.join(empty)}")
        rc = 1
    print(f"{tot[0] + tot[1]} ran of {sum(tot)}")
    print(f"{tot[0]} passed, {tot[1]} failed, {tot[2]} skipped")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
