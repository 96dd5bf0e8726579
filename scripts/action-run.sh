#!/usr/bin/env bash
# Runs mirrorguard for the GitHub Action: SARIF to a file, human output to the log, a
# Markdown summary to the job summary. Never fails the step itself: the exit status goes to
# the step output `exit-code`, and action-result.sh fails the job after the SARIF upload.
set -uo pipefail

mode="${MG_MODE:-check}"
case "$mode" in
  check | drift) ;;
  *) echo "mirrorguard: mode must be check or drift, not '$mode'" >&2; echo "exit-code=2" >> "${GITHUB_OUTPUT:-/dev/null}"; exit 0 ;;
esac
sarif="${MG_SARIF_FILE:-mirrorguard.sarif}"

# Word-split paths, regions and extra arguments on purpose: they are lists.
read -r -a paths <<< "$(echo "${MG_PATHS:-.}" | tr '\n' ' ')"
read -r -a extra <<< "${MG_ARGS:-}"
args=("$mode" "${paths[@]}")
if [ -n "${MG_FAIL_ON:-}" ]; then args+=(--fail-on "$MG_FAIL_ON"); fi
if [ -n "${MG_CONFIG:-}" ]; then args+=(--config "$MG_CONFIG"); fi
if [ "$mode" = drift ] && [ -n "${MG_REGIONS:-}" ]; then
  for region in $(echo "$MG_REGIONS" | tr ',\n' '  '); do args+=(--region "$region"); done
fi
args+=("${extra[@]}")

mirrorguard "${args[@]}" --format sarif --output "$sarif"
status=$?
mirrorguard "${args[@]}" --format human --color always || true
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  mirrorguard "${args[@]}" --format markdown >> "$GITHUB_STEP_SUMMARY" || true
fi
if [ -f "$sarif" ]; then
  echo "sarif-file=$sarif" >> "${GITHUB_OUTPUT:-/dev/null}"
fi
echo "exit-code=$status" >> "${GITHUB_OUTPUT:-/dev/null}"
exit 0
