#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): puts ssm-check on PATH without compiling it. Downloads the release
# archive that dist built for the runner's OS and architecture, checks it against its SHA-256 file, and unpacks it.
# Only `version: source` compiles, with cargo, from the action's own checkout (for a branch or commit ref).
#
# Inputs: SSM_CHECK_VERSION ("" = the version of the action's own checkout, its Cargo.toml: the release its tag
# made; "latest"; "0.3.0" or "v0.3.0"; "source"), GITHUB_ACTION_PATH (that checkout), SSM_CHECK_RELEASES_URL (the
# releases' download URL, for a mirror or a test; default: the `repository` its Cargo.toml names, /releases),
# RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH. The version and the repository come from the checkout rather
# than from the workflow's context, which names the outer action when this one is used inside another.
set -euo pipefail

fail() {
  echo "::error title=ssm-check install::$1"
  exit 1
}

if command -v ssm-check > /dev/null && [ -z "${SSM_CHECK_VERSION:-}" ]; then
  echo "ssm-check is on PATH already: $(command -v ssm-check)"
  exit 0
fi

dest="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ssm-check"
mkdir -p "$dest/bin"

manifest="${GITHUB_ACTION_PATH:-.}/Cargo.toml"
# `key = "value"` from the manifest's [package] table (the first of that key).
package_field() {
  sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" "$manifest" 2> /dev/null | head -n 1
}
version=${SSM_CHECK_VERSION:-}
own=false
if [ -z "$version" ]; then
  version=$(package_field version)
  [ -n "$version" ] || fail "cannot read the version in $manifest: give version: latest or a version"
  own=true
fi

if [ "$version" = source ]; then
  command -v cargo > /dev/null || fail "version: source compiles ssm-check, and this runner has no cargo"
  cargo install --locked --path "${GITHUB_ACTION_PATH:?}" --root "$dest"
  echo "$dest/bin" >> "${GITHUB_PATH:-/dev/null}"
  exit 0
fi

case "$version" in
  latest) path=latest/download ;;
  v[0-9]*.[0-9]*.[0-9]*) path="download/$version" ;;
  [0-9]*.[0-9]*.[0-9]*) path="download/v$version" ;;
  *) fail "version: '$version' is not latest, source or a release version (0.3.0)" ;;
esac

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) fail "no release archive for ${RUNNER_OS:-this OS} on ${RUNNER_ARCH:-this architecture}: use version: source to compile it" ;;
esac
if [ "$target" = x86_64-pc-windows-msvc ]; then archive="ssm-check-$target.zip"; else archive="ssm-check-$target.tar.xz"; fi

releases=${SSM_CHECK_RELEASES_URL:-$(package_field repository)/releases}
[[ "$releases" =~ ^(https|file):// ]] || fail "cannot read the repository in $manifest"
url="$releases/$path/$archive"
work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ssm-check-download.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch() {
  curl --proto '=https,file' --fail --silent --show-error --location --retry 3 --output "$2" "$1"
}
if ! fetch "$url" "$work/$archive"; then
  # A branch ahead of the last release names a version not released yet: the latest one, said.
  [ "$own" = true ] || fail "could not download $url"
  echo "::warning title=ssm-check install::ssm-check $version is not released; installing the latest release"
  version=latest
  url="$releases/latest/download/$archive"
  fetch "$url" "$work/$archive" || fail "could not download $url"
fi
fetch "$url.sha256" "$work/$archive.sha256" || fail "could not download its checksum, $url.sha256"

expected=$(cut -d ' ' -f 1 < "$work/$archive.sha256" | tr -d '\r\n')
if command -v sha256sum > /dev/null; then
  actual=$(sha256sum "$work/$archive" | cut -d ' ' -f 1)
else
  actual=$(shasum -a 256 "$work/$archive" | cut -d ' ' -f 1)
fi
if ! [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || [ "$actual" != "$expected" ]; then
  fail "$archive does not match its SHA-256 file (expected ${expected:-nothing}, got $actual): not installed"
fi

case "$archive" in
  *.zip) unzip -q "$work/$archive" -d "$work/unpacked" ;;
  *) mkdir "$work/unpacked" && tar -xJf "$work/$archive" -C "$work/unpacked" ;;
esac
binary=$(find "$work/unpacked" -type f \( -name ssm-check -o -name ssm-check.exe \) | head -n 1)
[ -n "$binary" ] || fail "$archive holds no ssm-check binary"
install -m 0755 "$binary" "$dest/bin/"
echo "$dest/bin" >> "${GITHUB_PATH:-/dev/null}"
echo "installed ssm-check ($version, $target) into $dest/bin"
