#!/usr/bin/env bash
# Tests the GitHub Action's scripts locally: install from a folder standing in for a
# release (checksum verified, tampering refused, version from the action's ref), one run
# writing every report under RUNNER_TEMP, outputs, the job summary (grouped, linked, under
# 1 MiB), fork fallback to annotations, soft-fail, and literal paths.
# Usage: tests/scripts/action.sh MIRRORGUARD_BINARY
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "action test FAILED: $*" >&2; exit 1; }
passed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }

# A folder standing in for a GitHub release.
release="$work/release"
mkdir -p "$release" "$work/pkg"
cp "$binary" "$work/pkg/mirrorguard"
tar -czf "$release/mirrorguard-x86_64-unknown-linux-musl.tar.gz" -C "$work/pkg" mirrorguard
(cd "$release" && sha256sum mirrorguard-*.tar.gz > SHA256SUMS)

install() {
  env -i PATH="$PATH" HOME="$HOME" MG_VERSION="${2:-}" MG_ACTION_REF="${3:-v0.1.0}" MG_RELEASE_URL="file://$release" \
    RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP="$1" GITHUB_PATH="$1/github_path" \
    "$root/scripts/action-install.sh"
}

mkdir -p "$work/runner"
install "$work/runner" > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install from the release folder"; }
[ -x "$work/runner/mirrorguard-bin/mirrorguard" ] || fail "binary not installed"
grep -qx "$work/runner/mirrorguard-bin" "$work/runner/github_path" || fail "install folder not added to GITHUB_PATH"
ok "install: the release of the action's own ref, checksum verified"

mkdir -p "$work/runner-branch"
install "$work/runner-branch" "" main > "$work/install-branch.log" 2>&1 || fail "install from a branch ref"
grep -q "not a release tag; installing the latest release" "$work/install-branch.log" || fail "a branch ref must say it takes the latest release"
ok "install: a branch ref takes the latest release and says so"

cp "$release/SHA256SUMS" "$work/SHA256SUMS.good"
echo "0000000000000000000000000000000000000000000000000000000000000000  mirrorguard-x86_64-unknown-linux-musl.tar.gz" > "$release/SHA256SUMS"
mkdir -p "$work/runner2"
if install "$work/runner2" > "$work/install2.log" 2>&1; then fail "a checksum mismatch was accepted"; fi
grep -q "checksum mismatch" "$work/install2.log" || { cat "$work/install2.log"; fail "no checksum message"; }
cp "$work/SHA256SUMS.good" "$release/SHA256SUMS"
ok "install: checksum mismatch refused"

# One run: every report under RUNNER_TEMP, nothing written into the checkout.
run() {
  local dir=$1; shift
  : > "$work/output"; : > "$work/summary"
  (cd "$dir" && env -i PATH="$work/runner/mirrorguard-bin:$PATH" HOME="$HOME" \
    RUNNER_TEMP="$work/tmp" GITHUB_OUTPUT="$work/output" GITHUB_STEP_SUMMARY="$work/summary" \
    GITHUB_REPOSITORY=acme/infra GITHUB_SHA=0123abc GITHUB_SERVER_URL=https://github.com \
    MG_MODE=check MG_ARGS="--no-config
--root
." "$@" "$root/scripts/action-run.sh" > "$work/run.log" 2>&1)
}
output() { grep "^$1=" "$work/output" | tail -n 1 | cut -d= -f2-; }
before=$(cd "$root/tests/fixtures" && find . -type f | sort | md5sum)
run "$root/tests/fixtures" MG_PATHS="cfn
clean" MG_FAIL_ON=error || fail "action-run.sh must not fail the step"
after=$(cd "$root/tests/fixtures" && find . -type f | sort | md5sum)
[ "$before" = "$after" ] || fail "the run wrote into the checkout"
[ "$(output exit-code)" = 1 ] || { cat "$work/output"; fail "exit-code output"; }
[ "$(output errors)" -gt 0 ] && [ "$(output warnings)" -ge 0 ] || fail "errors/warnings outputs"
sarif=$(output sarif-file)
case "$sarif" in "$work/tmp/"*) ;; *) fail "SARIF not under RUNNER_TEMP: $sarif" ;; esac
grep -q '"ruleId": "MG005"' "$sarif" || fail "SARIF content"
[ "$(output upload)" = true ] || fail "upload expected outside forks"
grep -q "<details><summary>" "$work/summary" || { cat "$work/summary"; fail "findings grouped per rule"; }
grep -q "](https://github.com/acme/infra/blob/0123abc/cfn/sessions.yaml#L" "$work/summary" || fail "findings linked to their lines"
grep -q "MG001" "$work/run.log" || fail "human output in the log"
cp "$sarif" "$root/target/test-sarif/action-run.sarif"
ok "run: one run, SARIF/JSON/Markdown under RUNNER_TEMP, outputs, linked and grouped summary"

# A pull request from a fork: no upload, annotations instead, and the summary says so.
run "$root/tests/fixtures" MG_PATHS=cfn MG_FORK=true
[ "$(output upload)" = false ] || fail "no upload from a fork"
grep -q "Code scanning upload skipped" "$work/summary" || fail "the summary must say the upload was skipped"
env MG_ANNOTATIONS="$(output annotations-file)" "$root/scripts/action-annotate.sh" > "$work/annotations.log"
grep -q "^::error file=cfn/sessions.yaml,line=" "$work/annotations.log" || { cat "$work/annotations.log"; fail "annotations"; }
env MG_ANNOTATIONS="$(output annotations-file)" MG_UPLOAD_OUTCOME=failure GITHUB_STEP_SUMMARY="$work/summary" \
  "$root/scripts/action-annotate.sh" > "$work/annotations2.log"
grep -q "upload failed" "$work/annotations2.log" || fail "a failed upload falls back to annotations"
ok "fork: annotations instead of code scanning, said in the summary"

# Paths are taken literally, one per line: `*` and `-n` reach mirrorguard as they are
# (a glob would also pick zzz/, an option would not be a path).
mkdir -p "$work/lit/-n" "$work/lit/*" "$work/lit/zzz"
cp "$root/tests/fixtures/cfn/sessions.yaml" "$work/lit/-n/a.yaml"
cp "$root/tests/fixtures/broken/good.yaml" "$work/lit/*/b.yaml"
cp "$root/tests/fixtures/broken/good.yaml" "$work/lit/zzz/c.yaml"
run "$work/lit" MG_PATHS="-n
*"
[ "$(output exit-code)" = 1 ] || { cat "$work/run.log"; fail "literal paths: exit code"; }
json="$work/tmp/mirrorguard-report/mirrorguard.json"
grep -q '"file": "-n/a.yaml"' "$json" || fail "a path starting with -n"
grep -q '"file": "\*/b.yaml"' "$json" || fail "* must reach mirrorguard literally"
if grep -q '"file": "zzz/c.yaml"' "$json"; then fail "* was expanded as a glob"; fi
ok "inputs: paths taken literally"

# The summary stays under GitHub's 1 MiB limit.
mkdir -p "$work/many"
python3 - "$work/many/t.yaml" <<'PY'
import sys
lines = ["Resources:"]
for i in range(6000):
    lines += [f"  Session{i:05d}" + "x" * 150 + ":", "    Type: AWS::EC2::TrafficMirrorSession", "    Properties:",
              f"      NetworkInterfaceId: eni-{i:017x}", "      TrafficMirrorTargetId: tmt-0123456789abcdef0",
              "      TrafficMirrorFilterId: tmf-0123456789abcdef0",
              "      SessionNumber: 0"]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
run "$work/many" MG_PATHS=.
size=$(wc -c < "$work/summary")
[ "$size" -lt 1048576 ] || fail "summary of $size bytes"
grep -q "more findings are not listed here" "$work/summary" || fail "the summary must count what it leaves out"
ok "summary: $size bytes for 6000 findings, under 1 MiB"

MG_EXIT_CODE=0 "$root/scripts/action-result.sh" > /dev/null || fail "result 0"
if MG_EXIT_CODE=1 "$root/scripts/action-result.sh" > /dev/null; then fail "result 1 must fail"; fi
MG_EXIT_CODE=1 MG_SOFT_FAIL=true "$root/scripts/action-result.sh" > "$work/soft.log" || fail "soft-fail must pass"
grep -q "soft-fail" "$work/soft.log" || fail "soft-fail must say so"
if MG_EXIT_CODE=2 MG_SOFT_FAIL=true "$root/scripts/action-result.sh" > /dev/null; then fail "soft-fail never hides exit 2"; fi
if MG_EXIT_CODE= "$root/scripts/action-result.sh" > /dev/null; then fail "missing result must fail"; fi
ok "result: fails per fail-on, soft-fail passes findings but not errors"
echo "action: $passed passed, 0 failed"
