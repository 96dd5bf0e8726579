#!/usr/bin/env bash
# Runs the real pre-commit on this repository's hook (`pre-commit try-repo`), against a
# bad and a good file in a scratch repository: exit 1 with the finding shown, then exit 0.
# Reports the first install time (pre-commit builds the hook with cargo install, without
# the AWS SDK). Usage: tests/scripts/pre-commit.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "pre-commit test FAILED: $*" >&2; exit 1; }
export PRE_COMMIT_HOME="$work/cache"
# try-repo uses a fresh store each time; a shared cargo target folder keeps the second
# install from compiling everything again (the first one still starts from nothing).
export CARGO_TARGET_DIR="$work/target"

cd "$work"
git init -q repo
cd repo
git config user.email ci@example.com
git config user.name ci
cat > bad.yaml <<'YAML'
Resources:
  Session:
    Type: AWS::EC2::TrafficMirrorSession
    Properties:
      NetworkInterfaceId: eni-0123456789abcdef0
      TrafficMirrorTargetId: tmt-0123456789abcdef0
      TrafficMirrorFilterId: tmf-0123456789abcdef0
      SessionNumber: 40000
YAML
sed 's/40000/1/' bad.yaml > good.yaml
git add bad.yaml good.yaml
git commit -qm fixtures

start=$(date +%s)
set +e
pre-commit try-repo "$root" mirrorguard --files bad.yaml > bad.log 2>&1
bad_status=$?
set -e
install_seconds=$(( $(date +%s) - start ))
[ "$bad_status" -eq 1 ] || { cat bad.log; fail "bad file: expected exit 1, got $bad_status"; }
grep -q "MG001" bad.log || { cat bad.log; fail "the finding is not shown"; }
grep -q "session number 40000 is outside 1..32766" bad.log || { cat bad.log; fail "the message is not shown"; }
echo "ok   bad file: exit 1, MG001 shown (first run incl. hook install: ${install_seconds}s)"

set +e
pre-commit try-repo "$root" mirrorguard --files good.yaml > good.log 2>&1
good_status=$?
set -e
[ "$good_status" -eq 0 ] || { cat good.log; fail "good file: expected exit 0, got $good_status"; }
echo "ok   good file: exit 0"
echo "pre-commit hook install time: ${install_seconds}s (target: under 180 s on 2 cores)"
echo "pre-commit: 2 passed, 0 failed"
