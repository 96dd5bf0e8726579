#!/usr/bin/env bash
# Tests the GitHub Action's scripts locally: install from a folder standing in for a
# release (checksum verified, tampering refused), run on fixtures (SARIF, outputs, job
# summary), and the final pass/fail step. Usage: tests/scripts/action.sh MIRRORGUARD_BINARY
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "action test FAILED: $*" >&2; exit 1; }

# A folder standing in for a GitHub release.
release="$work/release"
mkdir -p "$release" "$work/pkg"
cp "$binary" "$work/pkg/mirrorguard"
tar -czf "$release/mirrorguard-x86_64-unknown-linux-gnu.tar.gz" -C "$work/pkg" mirrorguard
(cd "$release" && sha256sum mirrorguard-*.tar.gz > SHA256SUMS)

install() {
  env -i PATH="$PATH" HOME="$HOME" MG_VERSION=v0.0.0-test MG_RELEASE_URL="file://$release" \
    RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP="$1" GITHUB_PATH="$1/github_path" \
    "$root/scripts/action-install.sh"
}

mkdir -p "$work/runner"
install "$work/runner" > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install from the release folder"; }
[ -x "$work/runner/mirrorguard-bin/mirrorguard" ] || fail "binary not installed"
grep -qx "$work/runner/mirrorguard-bin" "$work/runner/github_path" || fail "install folder not added to GITHUB_PATH"
echo "ok   install from a release folder, checksum verified"

# A tampered archive is refused.
echo "0000000000000000000000000000000000000000000000000000000000000000  mirrorguard-x86_64-unknown-linux-gnu.tar.gz" > "$release/SHA256SUMS"
mkdir -p "$work/runner2"
if install "$work/runner2" > "$work/install2.log" 2>&1; then fail "a checksum mismatch was accepted"; fi
grep -q "checksum mismatch" "$work/install2.log" || { cat "$work/install2.log"; fail "no checksum message"; }
echo "ok   checksum mismatch refused"

# Run on fixtures with findings: outputs, SARIF and job summary.
run() {
  (cd "$root/tests/fixtures" && env -i PATH="$work/runner/mirrorguard-bin:$PATH" HOME="$HOME" \
    GITHUB_OUTPUT="$work/output" GITHUB_STEP_SUMMARY="$work/summary" \
    MG_PATHS="$1" MG_MODE=check MG_FAIL_ON="$2" MG_SARIF_FILE="$work/out.sarif" MG_ARGS="--no-config" \
    "$root/scripts/action-run.sh" > "$work/run.log" 2>&1)
}
: > "$work/output"; : > "$work/summary"
run "cfn
terraform" error || fail "action-run.sh must not fail the step"
grep -qx "exit-code=1" "$work/output" || { cat "$work/output"; fail "exit-code output"; }
grep -qx "sarif-file=$work/out.sarif" "$work/output" || fail "sarif-file output"
grep -q '"ruleId": "MG005"' "$work/out.sarif" || fail "SARIF content"
grep -q "| MG001 |" "$work/summary" || { cat "$work/summary"; fail "job summary table"; }
grep -q "MG001" "$work/run.log" || fail "human output in the log"
cp "$work/out.sarif" "$root/target/test-sarif/action-run.sarif"
echo "ok   run: exit-code=1, SARIF written, job summary written"

: > "$work/output"
run "clean" error
grep -qx "exit-code=0" "$work/output" || fail "clean exit code"
: > "$work/output"
run "cfn" never
grep -qx "exit-code=0" "$work/output" || fail "fail-on never"
echo "ok   run: fail-on threshold"

MG_EXIT_CODE=0 "$root/scripts/action-result.sh" > /dev/null || fail "result 0"
if MG_EXIT_CODE=1 "$root/scripts/action-result.sh" > /dev/null; then fail "result 1 must fail"; fi
if MG_EXIT_CODE= "$root/scripts/action-result.sh" > /dev/null; then fail "missing result must fail"; fi
echo "ok   result step fails the job per fail-on"
echo "action: 5 passed, 0 failed"
