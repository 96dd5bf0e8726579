#!/usr/bin/env python3
"""Performance smoke test for CI: ratios between runs in the same job, never absolute times.

    bench/smoke.py MIRRORGUARD

Catches what turns a linear pass into a quadratic one (a renumbering fix that was cubic on a
unit of 10,000 duplicates did exactly that), whatever the machine's speed or load:

* one file of N sessions against N/10 files of 10 sessions: the same work shaped differently,
  at most 2.5x apart (bench/run.py's target on release builds is 1.5x);
* one file of 2N sessions against one file of N: at most 2.8x (linear is 2x);
* a repository-shaped corpus (files without sessions) against the same number of files with
  sessions: skipping files that cannot declare a session must keep it at most 0.5x.

Each run is the median of 5 fresh processes (CPU time, user + system, so that a busy machine
changes the numbers less). Exit 1 when a ratio is over its bound, with the numbers.
"""
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def generate(out, files, sessions, **kw):
    args = [sys.executable, os.path.join(HERE, "generate.py"), out, "--format", "cfn-yaml", "--files", str(files),
            "--sessions", str(sessions), "--seed", "7"]
    for k, v in kw.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    subprocess.run(args, check=True, capture_output=True)


def cpu_seconds(mg, cwd):
    runs = []
    for _ in range(5):
        proc = subprocess.Popen([mg, "check", ".", "--no-config", "--format", "json", "--fail-on", "never"],
                                cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"smoke: mirrorguard exited {code} in {cwd}: {err[-2000:]}")
        runs.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(runs)


def main():
    mg = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "debug", "mirrorguard"))
    n = 1000
    shapes = {
        "one file, N sessions": dict(files=1, sessions=n),
        "N/10 files, 10 sessions": dict(files=n // 10, sessions=10),
        "one file, 2N sessions": dict(files=1, sessions=2 * n),
        "repository-shaped (N/10 files, none with sessions)": dict(files=n // 10, sessions=10, ordinary=30, with_sessions=0),
    }
    cpu = {}
    for name, kw in shapes.items():
        with tempfile.TemporaryDirectory() as d:
            generate(d, **kw)
            cpu[name] = cpu_seconds(mg, d)
        print(f"{name:55} {cpu[name]:.3f} s CPU", flush=True)
    checks = [
        ("one file of N vs N/10 files of 10", cpu["one file, N sessions"] / cpu["N/10 files, 10 sessions"], 2.5),
        ("one file of 2N vs one file of N", cpu["one file, 2N sessions"] / cpu["one file, N sessions"], 2.8),
        ("files without sessions vs files with", cpu["repository-shaped (N/10 files, none with sessions)"] / cpu["N/10 files, 10 sessions"], 0.5),
    ]
    failed = False
    for name, ratio, bound in checks:
        ok = ratio <= bound
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {ratio:.2f}x (at most {bound}x)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
