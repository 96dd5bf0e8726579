#!/usr/bin/env bash
# Fails the job with mirrorguard's exit status (1: findings at or above fail-on; 2: files or
# regions that could not be checked), after the SARIF has been uploaded.
set -euo pipefail
status="${MG_EXIT_CODE:-}"
case "$status" in
  0) echo "mirrorguard: no findings at or above the threshold" ;;
  1) echo "::error title=mirrorguard::findings at or above the fail-on threshold"; exit 1 ;;
  2) echo "::error title=mirrorguard::some files or regions could not be checked"; exit 2 ;;
  *) echo "::error title=mirrorguard::mirrorguard did not run (exit code '$status')"; exit 2 ;;
esac
