#!/usr/bin/env python3
"""The benchmark harness: mirrorguard against cfn-guard and cfn-lint on the same generated
files, in the same run; wall time, CPU time and peak memory; scaling series; the targets.

    bench/run.py [--mirrorguard target/release/mirrorguard] [--quick] [--out bench/results.md]

cfn-guard (`cargo install cfn-guard`) runs twice, in its fastest mode (SARIF output with
--structured): with bench/cfn-guard/sessions.guard (rules equivalent to MG001-MG003) and with
bench/cfn-guard/sessions-full.guard (equivalent to MG001-MG006, the duplicate-per-interface and
per-interface-count rules included; the speed targets compare against this one). cfn-lint
(`pip install cfn-lint`) runs with its defaults. A tool that is not installed is reported as such, not skipped
quietly. Every measurement is the median of --repeat runs of a fresh process; CPU time and
peak RSS come from wait4().
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


# Every run is bounded: cfn-guard with the duplicate rules needed 300 s and 24 GB on one file of
# 5,000 sessions. A run over a limit is reported as killed, and not repeated.
TIME_LIMIT = 120
MEMORY_LIMIT = 8 * 2**30


def limit_memory():
    """Limits this harness, and so every process it starts (the limit is inherited), to
    MEMORY_LIMIT of address space. Set once here rather than in each child (`preexec_fn`),
    which would force a full fork of Python and add milliseconds to every measurement."""
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def measure(cmd, cwd, repeat):
    """Median wall seconds, its CPU seconds and the largest peak RSS (MB) over `repeat` runs.
    Wall time is from starting the process to reaping it (a blocking wait4, no polling); a
    timer kills a run after TIME_LIMIT."""
    import threading
    runs = []
    for _ in range(repeat):
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timer = threading.Timer(TIME_LIMIT, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        code = proc.returncode
        killed = None
        if wall >= TIME_LIMIT and code < 0:
            killed = f"killed after {TIME_LIMIT} s"
        elif code < 0:
            killed = f"died of signal {-code} (memory limit {MEMORY_LIMIT // 2**30} GiB?)"
        runs.append((wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, killed))
        if killed:
            break
    runs.sort()
    wall, cpu, _, code, killed = runs[len(runs) // 2]
    return {"wall": wall, "cpu": cpu, "rss": max(r[2] for r in runs), "exit": code, "killed": killed}


def generate(out, fmt, files, sessions, **kw):
    args = [sys.executable, os.path.join(HERE, "generate.py"), out, "--format", fmt, "--files", str(files),
            "--sessions", str(sessions), "--seed", "42"]
    for k, v in kw.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    subprocess.run(args, check=True, capture_output=True)


def tools(mirrorguard):
    guard = shutil.which("cfn-guard") or os.path.expanduser("~/.cargo/bin/cfn-guard")
    lint = shutil.which("cfn-lint")
    return {
        "mirrorguard": [mirrorguard, "check", ".", "--no-config", "--format", "sarif", "--output", os.devnull, "--fail-on", "never"],
        "cfn-guard": [guard, "validate", "--rules", os.path.join(HERE, "cfn-guard", "sessions-full.guard"), "--data", ".",
                      "--output-format", "sarif", "--show-summary", "none", "--structured"] if os.path.exists(guard) else None,
        "cfn-guard (MG001-MG003 only)": [guard, "validate", "--rules", os.path.join(HERE, "cfn-guard", "sessions.guard"), "--data", ".",
                      "--output-format", "sarif", "--show-summary", "none", "--structured"] if os.path.exists(guard) else None,
        "cfn-lint": [lint, "--format", "json", "--", "*.yaml"] if lint else None,
    }


def fmt_row(name, m):
    if m is None:
        return f"| {name} | not installed | | | |"
    if m.get("killed"):
        return f"| {name} | {m['killed']} | {m['cpu']:.3f} s | {m['rss']:.0f} MB | |"
    if name.startswith("mirrorguard") or name[0].isdigit():
        if m["exit"] not in (0, 1):
            return f"| {name} | exit {m['exit']} (refused or failed: not a measurement) | | | |"
    return f"| {name} | {m['wall']:.3f} s | {m['cpu']:.3f} s | {m['rss']:.0f} MB | {m['cpu'] / max(m['wall'], 1e-9):.2f} |"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirrorguard", default=os.path.join(HERE, "..", "target", "release", "mirrorguard"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller series (no 10,000 files / 100,000 sessions)")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--readme", help="also replace the text between <!-- bench:start --> and <!-- bench:end --> in this file")
    a = ap.parse_args()
    mg = os.path.abspath(a.mirrorguard)
    if not os.path.exists(mg):
        sys.exit(f"build it first: cargo build --release ({mg} not found)")
    t = tools(mg)
    limit_memory()
    cpu_model = ""
    try:
        cpu_model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores ({cpu_model}), "
             f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, {platform.system()} {platform.release()}; "
             f"median of {a.repeat} runs of a fresh process; CPU = user + system; RSS = peak resident memory.", ""]
    versions = []
    for name in ("cfn-guard", "cfn-lint"):
        cmd = t.get(name)
        if cmd:
            v = subprocess.run([cmd[0], "--version"], capture_output=True, text=True).stdout.strip()
            versions.append(v.splitlines()[0] if v else name)
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines.insert(1, f"mirrorguard {commit} (release build); peers: {', '.join(versions) or 'none installed'}.")
    lines.insert(2, "")
    targets = []

    def section(title, fmt, files, sessions, compare=("mirrorguard",), **kw):
        with tempfile.TemporaryDirectory() as d:
            generate(d, fmt, files, sessions, **kw)
            lines.append(f"**{title}**")
            lines.append("")
            lines.append("| tool | wall | CPU | peak RSS | CPU/wall |")
            lines.append("|---|---|---|---|---|")
            out = {}
            for name in compare:
                cmd = t.get(name)
                m = measure(cmd, d, a.repeat) if cmd else None
                out[name] = m
                lines.append(fmt_row(name, m))
            lines.append("")
            print("\n".join(lines[-len(compare) - 4:]), flush=True)
            return out

    def versus_guard(name, measured, times):
        """A target of being `times` faster than cfn-guard (its full rule set) in one section."""
        guard = measured["cfn-guard"]
        if guard is None:
            targets.append((name, None, "cfn-guard not installed"))
        elif guard["killed"]:
            targets.append((name, True, f"cfn-guard {guard['killed']}"))
        else:
            r = guard["wall"] / measured["mirrorguard"]["wall"]
            targets.append((name, r >= times, f"{r:.1f}x"))

    # Targets.
    guards = ("cfn-guard", "cfn-guard (MG001-MG003 only)")
    small = section("One small file (10 sessions), end to end", "cfn-yaml", 1, 10, ("mirrorguard",) + guards + ("cfn-lint",))
    targets.append(("one small file under 20 ms", small["mirrorguard"]["wall"] < 0.020, f"{small['mirrorguard']['wall'] * 1000:.1f} ms"))
    t1 = section("1,000 templates x 10 sessions (YAML)", "cfn-yaml", 1000, 10, ("mirrorguard",) + guards)
    versus_guard("20x faster than cfn-guard, 1,000 x 10", t1, 20)
    t2 = section("Repository-shaped: 1,000 templates x 30 ordinary resources, 10 with sessions", "cfn-yaml", 1000, 10,
                 ("mirrorguard",) + guards, ordinary=30, with_sessions=10)
    versus_guard("100x faster than cfn-guard, repository-shaped", t2, 100)
    t3a = section("500 templates x 10 sessions", "cfn-yaml", 500, 10)
    t3b = section("1 template x 5,000 sessions", "cfn-yaml", 1, 5000, ("mirrorguard",) + guards)
    r = t3b["mirrorguard"]["wall"] / t3a["mirrorguard"]["wall"]
    targets.append(("1 x 5,000 sessions within 1.5x of 500 x 10", r <= 1.5, f"{r:.2f}x"))
    t3c = section("1 template x 50,000 sessions", "cfn-yaml", 1, 50000, ("mirrorguard",))
    m50 = t3c["mirrorguard"]
    targets.append(("one file of 50,000 sessions finishes", m50["exit"] in (0, 1), f"exit {m50['exit']}, {m50['wall']:.2f} s"))
    r = m50["wall"] / t3b["mirrorguard"]["wall"]
    targets.append(("5,000 -> 50,000 sessions: time at most x12", r <= 12, f"x{r:.1f}"))
    targets.append(("peak memory under 300 MB on 50,000 sessions", m50["rss"] < 300, f"{m50['rss']:.0f} MB"))
    section("100 templates x 10 sessions: all three tools", "cfn-yaml", 100, 10, ("mirrorguard",) + guards + ("cfn-lint",))

    # Scaling series.
    lines.append("**Scaling: files x 10 sessions (mirrorguard)**")
    lines.append("")
    lines.append("| files | wall | CPU | peak RSS | CPU/wall |")
    lines.append("|---|---|---|---|---|")
    big = None
    for files in [1, 10, 100, 1000] + ([] if a.quick else [10000]):
        with tempfile.TemporaryDirectory() as d:
            generate(d, "cfn-yaml", files, 10)
            m = measure(t["mirrorguard"], d, a.repeat)
            lines.append(fmt_row(f"{files:,}", m))
            big = m
    lines.append("")
    if not a.quick:
        targets.append(("peak memory under 200 MB on 10,000 templates", big["rss"] < 200, f"{big['rss']:.0f} MB"))
    targets.append(("both cores busy on large inputs (CPU/wall > 1.5)", big["cpu"] / big["wall"] > 1.5, f"{big['cpu'] / big['wall']:.2f}"))
    lines.append("**Scaling: one file with N sessions (mirrorguard)**")
    lines.append("")
    lines.append("| sessions | wall | CPU | peak RSS | CPU/wall |")
    lines.append("|---|---|---|---|---|")
    for n in [10, 100, 1000, 10000] + ([] if a.quick else [80000]):
        with tempfile.TemporaryDirectory() as d:
            generate(d, "cfn-yaml", 1, n)
            lines.append(fmt_row(f"{n:,}", measure(t["mirrorguard"], d, a.repeat)))
    lines.append("")
    lines.append("**Targets**")
    lines.append("")
    lines.append("| target | met | measured |")
    lines.append("|---|---|---|")
    for name, ok, value in targets:
        lines.append(f"| {name} | {'yes' if ok else 'no' if ok is not None else 'n/a'} | {value} |")
    text = "\n".join(lines) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    if a.readme:
        with open(a.readme) as f:
            readme = f.read()
        head, rest = readme.split("<!-- bench:start -->\n", 1)
        _, tail = rest.split("<!-- bench:end -->", 1)
        command = "python3 bench/run.py" + (" --quick" if a.quick else "") + f" --repeat {a.repeat}"
        with open(a.readme, "w") as f:
            f.write(f"{head}<!-- bench:start -->\nGenerated by `{command} --readme README.md`.\n\n{text}<!-- bench:end -->{tail}")
    print(text)


if __name__ == "__main__":
    main()
