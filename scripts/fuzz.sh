#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30) with cargo fuzz (libFuzzer, nightly
# toolchain), seeded from examples/ and tests/fixtures/. Fails if any target finds a crash;
# crashes are left in fuzz/artifacts/ to become regression tests.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(cloudformation_yaml cloudformation_json cloudformation_conditions terraform_hcl terraform_modules stackql_manifest terraform_plan check_pipeline byte_scan shell_script)
fi
command -v cargo-fuzz >/dev/null || cargo install --quiet cargo-fuzz
# cargo fuzz needs nightly compiler flags. Without a nightly toolchain, the stable one is
# allowed them (RUSTC_BOOTSTRAP) and runs without AddressSanitizer (libFuzzer coverage and
# Rust's own panics and overflow checks still catch crashes).
toolchain=()
sanitizer=()
if rustup toolchain list 2>/dev/null | grep -q nightly; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
  sanitizer=(--sanitizer none)
  echo "no nightly toolchain: fuzzing with stable and RUSTC_BOOTSTRAP, without AddressSanitizer"
fi

seed() {
  local target=$1; shift
  mkdir -p "fuzz/corpus/$target"
  for pattern in "$@"; do
    find examples tests/fixtures -type f -name "$pattern" -size -64k -exec cp {} "fuzz/corpus/$target/" \; 2>/dev/null || true
  done
}
seed cloudformation_yaml '*.yaml' '*.yml'
seed cloudformation_json '*.json'
seed terraform_hcl '*.tf' '*.tfvars'
seed stackql_manifest 'stackql_manifest.yml' '*.iql'
seed terraform_plan 'plan.json'
seed check_pipeline '*.yaml' '*.tf' '*.json'
seed cloudformation_conditions '*.yaml'
seed terraform_modules '*.tf'
seed byte_scan '*.yaml' '*.json' '*.tf'
seed shell_script '*.sh'

cargo "${toolchain[@]}" fuzz build --release "${sanitizer[@]}" 2>&1 | tail -n 2
for t in "${targets[@]}"; do
  start=$(date +%s)
  cargo "${toolchain[@]}" fuzz run --release "${sanitizer[@]}" "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    > "fuzz/$t.log" 2>&1 || { tail -n 40 "fuzz/$t.log"; echo "fuzz target $t FAILED (see fuzz/artifacts/$t)"; exit 1; }
  runs=$(grep -o "Done [0-9]* runs" "fuzz/$t.log" | tail -n 1)
  echo "ok   $t: ${runs:-done} in $(( $(date +%s) - start ))s, no crash"
done
echo "fuzz: ${#targets[@]} passed, 0 failed"
