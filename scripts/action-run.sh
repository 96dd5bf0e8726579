#!/usr/bin/env bash
# Runs mirrorguard once for the GitHub Action: the log gets the human report, and SARIF,
# JSON, Markdown and annotation files are written under $RUNNER_TEMP (never into the
# checkout, which a pull request controls). Never fails the step itself: the exit status
# goes to the output `exit-code`, and action-result.sh fails the job after the upload.
# Inputs arrive only through the environment; paths and arguments are one per line and
# are passed literally (`*`, `-n` and spaces included).
set -uo pipefail

out="${GITHUB_OUTPUT:-/dev/null}"
mode="${MG_MODE:-check}"
case "$mode" in
  check | drift) ;;
  *) echo "mirrorguard: mode must be check or drift, not '$mode'" >&2; echo "exit-code=2" >> "$out"; exit 0 ;;
esac
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/mirrorguard-report"
mkdir -p "$temp"
sarif="${MG_SARIF_FILE:-$temp/mirrorguard.sarif}"
json="$temp/mirrorguard.json"
markdown="$temp/mirrorguard.md"
annotations="$temp/mirrorguard.annotations"
rm -f "$sarif" "$json" "$markdown" "$annotations"

lines() { printf '%s\n' "$1" | sed -e 's/\r$//' | sed -e '/^[[:space:]]*$/d'; }
args=("$mode")
# A path that starts with `-` is still a path: `./` keeps it from reading as an option.
while IFS= read -r p; do
  case "$p" in -*) p="./$p" ;; esac
  args+=("$p")
done < <(lines "${MG_PATHS:-.}")
if [ "${#args[@]}" -eq 1 ]; then args+=("."); fi
if [ -n "${MG_FAIL_ON:-}" ]; then args+=(--fail-on "$MG_FAIL_ON"); fi
if [ -n "${MG_CONFIG:-}" ]; then args+=(--config "$MG_CONFIG"); fi
if [ "$mode" = drift ] && [ -n "${MG_REGIONS:-}" ]; then
  while IFS= read -r r; do args+=(--region "$r"); done < <(lines "$(printf '%s' "$MG_REGIONS" | tr ',' '\n')")
fi
while IFS= read -r a; do args+=("$a"); done < <(lines "${MG_ARGS:-}")
link=""
if [ -n "${GITHUB_REPOSITORY:-}" ] && [ -n "${GITHUB_SHA:-}" ]; then
  link="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/blob/$GITHUB_SHA"
fi

mirrorguard "${args[@]}" --color always \
  -o "$sarif" -o "$json" -o "$markdown" -o "$annotations" ${link:+--link-base "$link"} \
  2> >(tee "$temp/stderr" >&2)
status=$?

count() { grep -o "\"$1\": [0-9]*" "$json" 2>/dev/null | head -n 1 | grep -o '[0-9]*$' || echo 0; }
echo "exit-code=$status" >> "$out"
echo "errors=$(count errors)" >> "$out"
echo "warnings=$(count warnings)" >> "$out"
[ -f "$sarif" ] && echo "sarif-file=$sarif" >> "$out"
[ -f "$annotations" ] && echo "annotations-file=$annotations" >> "$out"

# Upload to code scanning when the run may: not from a fork (no security-events: write).
upload=false
case "${MG_UPLOAD:-auto}" in
  true) upload=true ;;
  auto) if [ "${MG_FORK:-false}" != "true" ]; then upload=true; fi ;;
esac
[ -f "$sarif" ] || upload=false
echo "upload=$upload" >> "$out"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    if [ -f "$markdown" ]; then cat "$markdown"; fi
    if [ "$upload" != true ]; then
      echo "Code scanning upload skipped (a pull request from a fork, or upload-sarif: false): the findings are annotations on the pull request."
      echo
    fi
    if [ -z "${MG_CONFIG:-}" ] && [ -f .mirrorguard.toml ] && [ -n "${MG_BASE_REF:-}" ]; then
      if git rev-parse --verify --quiet "origin/$MG_BASE_REF" >/dev/null; then
        if ! git diff --quiet "origin/$MG_BASE_REF" -- .mirrorguard.toml 2>/dev/null; then
          echo "⚠️ This pull request changes .mirrorguard.toml, and the run used it. Pass \`config:\` a trusted copy from the base branch."
          echo
        fi
      else
        echo "ℹ️ The run used the pull request's own .mirrorguard.toml; pass \`config:\` a trusted copy from the base branch."
        echo
      fi
    fi
    if grep -q "nothing to check" "$temp/stderr" 2>/dev/null; then echo "Nothing to check."; fi
  } >> "$GITHUB_STEP_SUMMARY"
fi
exit 0
