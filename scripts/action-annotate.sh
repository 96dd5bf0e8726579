#!/usr/bin/env bash
# Prints the run's annotations (GitHub workflow commands) when the SARIF upload was skipped
# or failed (a fork, a private repository without code scanning): GitHub shows them on the
# pull request's lines.
set -euo pipefail
if [ "${MG_UPLOAD_OUTCOME:-}" = "failure" ]; then
  echo "mirrorguard: the SARIF upload failed (code scanning not enabled?); annotating instead"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    echo "Code scanning upload failed: the findings are annotations on the pull request." >> "$GITHUB_STEP_SUMMARY"
  fi
fi
if [ -n "${MG_ANNOTATIONS:-}" ] && [ -f "$MG_ANNOTATIONS" ]; then
  cat "$MG_ANNOTATIONS"
fi
