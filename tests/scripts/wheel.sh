#!/usr/bin/env bash
# Builds the Python wheel with maturin (from PyPI), installs it into a fresh virtualenv and
# runs `mirrorguard check` on examples/ from it: exit 1 (the examples carry planted
# mistakes). Usage: tests/scripts/wheel.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "wheel test FAILED: $*" >&2; exit 1; }
cd "$root"
python3 -m pip install --quiet --disable-pip-version-check 'maturin>=1.7,<2'
start=$(date +%s)
python3 -m maturin build --release --locked --quiet --out "$work/wheels" > "$work/build.log" 2>&1 \
  || { cat "$work/build.log"; fail "maturin build"; }
wheel=$(ls "$work"/wheels/mirrorguard-*.whl)
echo "ok   built $(basename "$wheel") in $(( $(date +%s) - start ))s"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
[ -x "$work/venv/bin/mirrorguard" ] || fail "the wheel installs no mirrorguard command"
set +e
"$work/venv/bin/mirrorguard" check examples --color never > "$work/check.log" 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || { cat "$work/check.log"; fail "check examples: expected exit 1, got $status"; }
grep -q "MG001" "$work/check.log" || fail "findings from the wheel's binary"
echo "ok   pip install of the wheel in a fresh virtualenv; mirrorguard check examples: exit 1"
echo "wheel: 2 passed, 0 failed"
