#!/usr/bin/env python3
"""Accuracy on generated, labelled corpora: every planted defect is found, at its line, in
every format, and nothing is found that was not planted.

    accuracy.py MIRRORGUARD_BINARY [--files N] [--sessions K]

Exits 1 on any missed or unexpected finding. Run by scripts/test.sh.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def check(binary, fmt, files, sessions, seed, extra=()):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), out, "--format", fmt,
                        "--files", str(files), "--sessions", str(sessions), "--seed", str(seed),
                        "--defect-rate", "0.3", *extra], check=True, capture_output=True)
        labels = json.load(open(os.path.join(out, "labels.json")))
        proc = subprocess.run([binary, "check", ".", "--no-config", "--format", "json", "--fail-on", "never"],
                              cwd=out, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{fmt}: mirrorguard exited {proc.returncode}: {proc.stderr[:500]}")
            return False
        report = json.loads(proc.stdout)
        found = sorted({(f["location"]["file"], f["location"]["start"]["line"], f["rule_id"])
                        for f in report["findings"]})
        want = sorted({(l["file"], l["line"], l["rule"]) for l in labels})
        missed = sorted(set(want) - set(found))
        extra_found = sorted(set(found) - set(want))
        ok = not missed and not extra_found and not report["errors"]
        print(f"{fmt}: {len(want)} planted, {len(found)} found, {len(missed)} missed, "
              f"{len(extra_found)} unlabelled, {len(report['errors'])} errors ({report['summary']['sessions']} sessions)")
        for m in missed[:5]:
            print("  missed:", m)
        for e in extra_found[:5]:
            print("  unlabelled:", e)
        return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--sessions", type=int, default=12)
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    results = [check(binary, fmt, a.files, a.sessions, seed) for seed, fmt in enumerate(["cfn-yaml", "cfn-json", "tf"], 1)]
    results.append(check(binary, "cfn-yaml", a.files, a.sessions, 7, ("--ordinary", "30", "--with-sessions", "5")))
    print(f"accuracy: {sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
