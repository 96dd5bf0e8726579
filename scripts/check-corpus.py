#!/usr/bin/env python3
"""Runs mirrorguard over the real-world corpus (../shared/corpus) and checks what it finds
against what a correct run finds (corpus/NOTES.md): the known defects are found, nothing
else is reported, and the one broken file is a clean parse error with its position.

Usage: check-corpus.py MIRRORGUARD_BINARY CORPUS_DIR
"""
import collections
import json
import pathlib
import subprocess
import sys
import time

# path prefix -> (expected rule ids, sorted; None = any MG010 only)
EXPECTED = {
    "cfn/sjakthol__aws-vpc-traffic-mirroring/": [],
    "cfn/aws-samples__aws-vpc-traffic-mirroring-source-automation/": [],
    # Documentation placeholders (tmt-5319fsEXAMPLE) may draw id-format warnings, nothing more.
    "cfn/awsdocs__aws-cloudformation-user-guide/doc_source/aws-resource-ec2-trafficmirrorsession.md.example-1.json": ["MG010"] * 3,
    "cfn/awsdocs__aws-cloudformation-user-guide/doc_source/aws-resource-ec2-trafficmirrorsession.md.example-1.yaml": ["MG010"] * 3,
    "cfn/awsdocs__aws-cloudformation-user-guide/doc_source/aws-resource-ec2-trafficmirrorfilterrule.md.example-1.json": [],
    "cfn/awsdocs__aws-cloudformation-user-guide/doc_source/aws-resource-ec2-trafficmirrortarget.md.example-1-nlb.yaml": [],
    # The corpus copy of this module lacks the file that declares the filter resource.
    "tf/JamesWoolfenden__terraform-aws-trafficmirror/": ["MG009"],
    # Targets are checked for undeclared references too (MG009): these corpus copies hold one
    # file of their module, without the file that declares the interface or load balancer.
    "tf/Vitesco-Technologies__tf-traffic-mirror/": ["MG009"],
    "tf/aws-samples__packet-capture-using-vpc-traffic-mirroring-s3-mount/": [],
    # ... and so are filter rules: its rule CIDRs name module.vpc, declared in another file.
    "tf/bkc1__terraform-aws-traffic-mirroring/": ["MG009"] * 3,
    "tf/darktrace__terraform-aws-vsensor/": ["MG009"],
    "tf/mawinkler__playground-one/at-0a1187b/": ["MG005"],
    "tf/mawinkler__playground-one/awsone/": ["MG009", "MG009"],
    "tf/hashicorp__terraform-provider-awscc/": [],
    "tf/alibabacloud-automation__landing-with-terraform/": [],
    # The provider's acceptance tests create a session on a filter without rules: AWS accepts
    # it, and it mirrors nothing ("if no rules are added, no traffic is mirrored"): MG021.
    "tf/gpsserviceacc__terraform-provider-aws/": ["MG021"] * 3,
    "stackql/": [],
    "live/": [],
}
EXPECTED_ERRORS = {
    "cfn/awsdocs__aws-cloudformation-user-guide/doc_source/aws-resource-ec2-trafficmirrortarget.md.example-1-nlb.yaml": (4, 89),
}


def owner(path: str) -> str:
    matches = [p for p in EXPECTED if path.startswith(p)]
    return max(matches, key=len) if matches else "?"


def main() -> int:
    binary, corpus = str(pathlib.Path(sys.argv[1]).resolve()), pathlib.Path(sys.argv[2])
    start = time.monotonic()
    proc = subprocess.run([binary, "check", ".", "--format", "json"], cwd=corpus,
                          capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode not in (0, 1, 2) or not proc.stdout:
        print(f"mirrorguard crashed (exit {proc.returncode}):\n{proc.stderr}")
        return 1
    report = json.loads(proc.stdout)
    found = collections.defaultdict(list)
    for f in report["findings"]:
        found[owner(f["location"]["file"])].append(f)
    problems = []
    for prefix, want in EXPECTED.items():
        got = sorted(f["rule_id"] for f in found.get(prefix, []))
        if got != sorted(want):
            problems.append(f"{prefix}: expected {sorted(want)}, got {got}: "
                            + "; ".join(f["message"] for f in found.get(prefix, [])))
    for prefix in found:
        if prefix not in EXPECTED:
            problems.append(f"unexpected findings in {prefix}")
    mg005 = [f for f in found.get("tf/mawinkler__playground-one/at-0a1187b/", []) if f["rule_id"] == "MG005"]
    for f in mg005:
        for var in ("var.virtual_network_sensor", "var.deep_discovery_inspector"):
            if var not in f["message"]:
                problems.append(f"MG005 does not say it depends on {var}: {f['message']}")
    errors = {e["file"]: (e["line"], e["column"]) for e in report["errors"]}
    if errors != EXPECTED_ERRORS:
        problems.append(f"parse errors: expected {EXPECTED_ERRORS}, got {errors}")
    s = report["summary"]
    by_rule = collections.Counter(f["rule_id"] for f in report["findings"])
    print(f"corpus: {s['files_read']} files read, {s['units']} templates/modules with mirror resources, "
          f"{s['sessions']} sessions, findings {dict(sorted(by_rule.items()))}, "
          f"{s['skipped_checks']} checks skipped on unknown values, {s['failed_files']} parse errors, "
          f"{elapsed * 1000:.0f} ms")
    for p in problems:
        print("CORPUS MISMATCH:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
