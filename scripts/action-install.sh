#!/usr/bin/env bash
# Installs mirrorguard for the GitHub Action.
#   MG_VERSION empty         the release of the action's own ref (MG_ACTION_REF: a vX.Y.Z tag;
#                            any other ref takes `latest`)
#   MG_VERSION=vX.Y.Z|latest that release
#   MG_VERSION=source        cargo install from the action's own checkout ($GITHUB_ACTION_PATH),
#                            into a folder the action caches between runs
# A release archive is verified against the release's SHA256SUMS before it is unpacked.
# MG_RELEASE_URL overrides where releases are downloaded from (tests point it at a folder
# standing in for a release, with file://).
set -euo pipefail

version="${MG_VERSION:-}"
install_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/mirrorguard-bin"
mkdir -p "$install_dir"

add_to_path() {
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$1" >> "$GITHUB_PATH"; fi
  export PATH="$1:$PATH"
}

if [ -z "$version" ]; then
  ref="${MG_ACTION_REF:-}"
  if [[ "$ref" =~ ^v[0-9]+(\.[0-9]+)*([.-][0-9A-Za-z.-]+)?$ ]]; then
    version="$ref"
  else
    echo "mirrorguard: the action's ref '${ref:-?}' is not a release tag; installing the latest release (pin the action to a tag, or use version: source)" >&2
    version=latest
  fi
fi

if [ "$version" = "source" ]; then
  if [ -x "$install_dir/bin/mirrorguard" ]; then
    echo "mirrorguard: using the cached source build"
  else
    features=()
    # The AWS SDK is built in only when the run reads AWS: drift, or a check with --live.
    if [ "${MG_MODE:-check}" = "drift" ] || printf '%s\n' "${MG_ARGS:-}" | grep -qx -- '--live'; then
      features=(--features aws)
    fi
    cargo install --locked --quiet --path "${GITHUB_ACTION_PATH:-.}" --root "$install_dir" "${features[@]}"
  fi
  add_to_path "$install_dir/bin"
  "$install_dir/bin/mirrorguard" --version
  exit 0
fi

case "${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}" in
  Linux-X64 | Linux-x86_64) target=x86_64-unknown-linux-musl ;;
  Linux-ARM64 | Linux-aarch64) target=aarch64-unknown-linux-musl ;;
  macOS-ARM64 | Darwin-arm64) target=aarch64-apple-darwin ;;
  Windows-X64) target=x86_64-pc-windows-msvc ;;
  *) echo "mirrorguard: no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; use version: source" >&2; exit 1 ;;
esac
ext=tar.gz
if [ "$target" = x86_64-pc-windows-msvc ]; then ext=zip; fi
asset="mirrorguard-$target.$ext"

repository="${MG_REPOSITORY:-mirrorguard/mirrorguard}"
if [ -n "${MG_RELEASE_URL:-}" ]; then
  base="$MG_RELEASE_URL"
elif [ "$version" = "latest" ]; then
  base="https://github.com/$repository/releases/latest/download"
else
  base="https://github.com/$repository/releases/download/$version"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl --fail --silent --show-error --location --retry 3 -o "$work/$asset" "$base/$asset"
curl --fail --silent --show-error --location --retry 3 -o "$work/SHA256SUMS" "$base/SHA256SUMS"
expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$work/SHA256SUMS")
if [ -z "$expected" ]; then
  echo "mirrorguard: $asset is not listed in SHA256SUMS" >&2
  exit 1
fi
if command -v sha256sum >/dev/null; then
  actual=$(sha256sum "$work/$asset" | awk '{ print $1 }')
else
  actual=$(shasum -a 256 "$work/$asset" | awk '{ print $1 }')
fi
if [ "$actual" != "$expected" ]; then
  echo "mirrorguard: checksum mismatch for $asset (expected $expected, got $actual)" >&2
  exit 1
fi
if [ "$ext" = zip ]; then
  unzip -q -o "$work/$asset" -d "$install_dir"
else
  tar -xzf "$work/$asset" -C "$install_dir"
fi
chmod +x "$install_dir/mirrorguard" 2>/dev/null || true
add_to_path "$install_dir"
"$install_dir/mirrorguard" --version
