#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (PyPI and npm
# packages by name), then formats, lints, tests, validates every SARIF the tests wrote and
# checks the real-world corpus when ../shared/corpus is present.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Each step is timed; the times are listed at the end (where a CI run's time goes).
run_start=$(date +%s)
step_start=$run_start
step_name=""
timings=""
step() {
  local now
  now=$(date +%s)
  [ -z "$step_name" ] || timings+="$(printf '%6ds  %s' $((now - step_start)) "$step_name")"$'\n'
  step_start=$now
  step_name="$*"
  printf '\n== %s\n' "$*"
}

step "installing test tools (check-jsonschema, SARIF Multitool, Graphviz, mermaid)"
python3 -m pip install --quiet --disable-pip-version-check check-jsonschema jsonschema pre-commit 'moto[server]>=5.2.5' awscli
if [ ! -x .tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @microsoft/sarif-multitool >/dev/null
fi
# The drawings of `mirrorguard graph` are validated with the real parsers: Graphviz (Debian
# package) and the mermaid npm package under jsdom (not mermaid-cli: it downloads a browser).
if ! command -v dot >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends graphviz >/dev/null 2>&1 \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends graphviz >/dev/null; }
fi
if [ ! -d .tools/node_modules/mermaid ] || [ ! -d .tools/node_modules/jsdom ]; then
  npm install --silent --no-audit --no-fund --prefix .tools mermaid jsdom >/dev/null
fi
multitool="$root/.tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
[ -x "$multitool" ] || { echo "SARIF Multitool not installed at $multitool"; exit 1; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings (default build, then with the aws feature)"
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --all-targets --quiet --features aws -- -D warnings

step "cargo test (default build: no AWS SDK, as the pre-commit hook builds it)"
rm -rf target/test-sarif
cargo test --quiet 2>&1 | tee target/test-output.txt
grep -q "test result: ok" target/test-output.txt

step "cargo test --features aws (drift and IAM against a moto server and the SDK replay client)"
cargo test --quiet --features aws 2>&1 | tee target/test-output-aws.txt
grep -q "test result: ok" target/test-output-aws.txt

step "mirrorguard rules test (Rego unit tests and rule examples)"
./target/debug/mirrorguard rules test

step "GitHub Action: install from a release folder, run, result"
tests/scripts/action.sh target/debug/mirrorguard

step "SARIF: every log the tests wrote, against the 2.1.0 schema and the SARIF Multitool"
python3 scripts/validate-sarif.py target/test-sarif 12 "$multitool"

step "action.yml and workflows against their JSON schemas"
check-jsonschema --builtin-schema vendor.github-actions action.yml
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml examples/workflows/*.yml

step "pre-commit try-repo (real pre-commit; builds the hook without the AWS SDK)"
tests/scripts/pre-commit.sh

step "Python wheel (maturin, bindings = bin): built, installed in a fresh virtualenv, run"
tests/scripts/wheel.sh

step "examples/ (planted mistakes: exit status 1 expected)"
set +e
./target/debug/mirrorguard check examples --color never > target/examples.txt
status=$?
set -e
tail -n 1 target/examples.txt
[ "$status" -eq 1 ] || { echo "examples: expected exit 1, got $status"; exit 1; }

step "accuracy on generated, labelled corpora (every planted defect, nothing else)"
python3 bench/accuracy.py target/debug/mirrorguard

step "performance smoke test (ratios between runs in this job, never absolute times)"
python3 bench/smoke.py target/debug/mirrorguard

step "fuzzing, bounded (15 s per target; scripts/fuzz.sh 600 for the 10-minute runs)"
scripts/fuzz.sh 15

if [ -d ../shared/corpus ]; then
  step "real-world corpus (../shared/corpus)"
  python3 scripts/check-corpus.py target/debug/mirrorguard ../shared/corpus
fi

step "all checks passed"
printf '\nstep times (seconds):\n%s%6ds  the whole run\n' "$timings" $(( $(date +%s) - run_start ))
