#!/usr/bin/env python3
"""Validates every SARIF log in a folder, the two ways GitHub code scanning cares about.

1. Against the SARIF 2.1.0 JSON schema (tests/schemas/sarif-schema-2.1.0.json, the OASIS
   schema as shipped by serde-sarif), with the `jsonschema` package.
2. With Microsoft's SARIF Multitool (`validate`, rule kinds Sarif and Gh, levels Error and
   Warning). The Multitool exits 0 even when it finds errors, so its output log is read.

Usage: validate-sarif.py DIR MIN_FILES MULTITOOL_BINARY
Exits 1 on any schema error or Multitool result, or when DIR holds fewer than MIN_FILES logs
(a guard against tests that silently stopped writing SARIF).
"""
import json
import pathlib
import subprocess
import sys
import tempfile

from jsonschema import Draft7Validator


def main() -> int:
    folder, min_files, multitool = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    root = pathlib.Path(__file__).resolve().parent.parent
    schema = json.loads((root / "tests/schemas/sarif-schema-2.1.0.json").read_text())
    validator = Draft7Validator(schema)
    logs = sorted(folder.glob("*.sarif"))
    failures = 0
    if len(logs) < min_files:
        print(f"expected at least {min_files} SARIF logs in {folder}, found {len(logs)}")
        return 1
    for log in logs:
        errors = list(validator.iter_errors(json.loads(log.read_text())))
        for e in errors:
            failures += 1
            print(f"{log.name}: schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "validation.sarif"
        proc = subprocess.run(
            [multitool, "validate", str(folder), "--rule-kind", "Gh;Sarif",
             "--level", "Error;Warning", "-o", str(out)],
            capture_output=True, text=True, check=False,
        )
        if not out.exists():
            print("SARIF Multitool wrote no output log:\n" + proc.stdout + proc.stderr)
            return 1
        result = json.loads(out.read_text())
        scanned = [line for line in proc.stdout.splitlines() if "files scanned" in line]
        for run in result.get("runs", []):
            for r in run.get("results", []):
                failures += 1
                loc = r.get("locations", [{}])[0].get("physicalLocation", {})
                uri = loc.get("artifactLocation", {}).get("uri", "?")
                print(f"{uri}: multitool {r.get('level')} {r.get('ruleId')}: {r.get('message')}")
    print(f"validated {len(logs)} SARIF logs ({scanned[0].strip() if scanned else 'multitool'}): "
          f"{failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
