#!/usr/bin/env bash
# Fails the job with mirrorguard's exit status, after the upload and the annotations:
# 1 findings at or above fail-on (unless soft-fail), 2 files or regions that could not be
# checked (always).
set -euo pipefail
status="${MG_EXIT_CODE:-}"
soft="${MG_SOFT_FAIL:-false}"
case "$status" in
  0) echo "mirrorguard: no findings at or above the threshold" ;;
  1)
    if [ "$soft" = "true" ]; then
      echo "::warning title=mirrorguard::findings at or above the fail-on threshold (soft-fail: the job passes)"
    else
      echo "::error title=mirrorguard::findings at or above the fail-on threshold"
      exit 1
    fi
    ;;
  2) echo "::error title=mirrorguard::some files or regions could not be checked"; exit 2 ;;
  *) echo "::error title=mirrorguard::mirrorguard did not run (exit code '$status')"; exit 2 ;;
esac
