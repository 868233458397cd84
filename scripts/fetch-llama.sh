#!/usr/bin/env bash
# Fetch the pinned llama.cpp source (git bundle shipped inside an npm package), verify its sha256,
# clone it into a cache outside the source tree and apply native/patches/*.patch in order.
# Prints the source folder on stdout (last line). LLAMA_CPP_DIR=... skips all of this.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=llama-pin.env
source "$here/llama-pin.env"

die() { echo "fetch-llama: $*" >&2; exit 1; }

if [[ -n "${LLAMA_CPP_DIR:-}" ]]; then
  [[ -f "$LLAMA_CPP_DIR/include/llama.h" ]] || die "LLAMA_CPP_DIR=$LLAMA_CPP_DIR has no include/llama.h"
  echo "$LLAMA_CPP_DIR"; exit 0
fi

cache="${TOKENFLOW_CACHE:-$HOME/.cache/tokenflow}"
mkdir -p "$cache"
# Patch hash: the source folder name changes whenever the patch set changes.
shopt -s nullglob
patches=("$root"/native/patches/*.patch)   # glob order is sorted: applied in name order
patch_hash=$( { if [[ ${#patches[@]} -gt 0 ]]; then cat "${patches[@]}"; fi; } < /dev/null | sha256sum | cut -c1-12)
src="$cache/llama.cpp-$LLAMA_RELEASE-$patch_hash"
if [[ -f "$src/.tokenflow-ready" ]]; then echo "$src"; exit 0; fi

bundle="$cache/llama-$LLAMA_RELEASE.bundle"
if [[ ! -f "$bundle" ]] || ! echo "$LLAMA_BUNDLE_SHA256  $bundle" | sha256sum -c --status; then
  command -v npm >/dev/null || die "npm is needed to fetch $LLAMA_NPM_PACKAGE (apt-get install npm)"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  echo "fetch-llama: downloading $LLAMA_NPM_PACKAGE ..." >&2
  (cd "$tmp" && npm pack --silent "$LLAMA_NPM_PACKAGE" >/dev/null) || die "npm pack $LLAMA_NPM_PACKAGE failed (no registry access?)"
  tgz=$(ls "$tmp"/*.tgz 2>/dev/null | head -1); [[ -n "$tgz" ]] || die "npm pack produced no tarball"
  tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle || die "package has no llama/gitRelease.bundle"
  mv "$tmp/package/llama/gitRelease.bundle" "$bundle.part"
  got=$(sha256sum "$bundle.part" | cut -d' ' -f1)
  if [[ "$got" != "$LLAMA_BUNDLE_SHA256" ]]; then
    rm -f "$bundle.part"
    die "checksum mismatch for gitRelease.bundle: expected $LLAMA_BUNDLE_SHA256, got $got"
  fi
  mv "$bundle.part" "$bundle"
fi

rm -rf "$src.part"
git -c advice.detachedHead=false clone --quiet "$bundle" "$src.part" || die "git clone of the bundle failed"
(cd "$src.part" && git -c advice.detachedHead=false checkout --quiet "$LLAMA_COMMIT") || die "commit $LLAMA_COMMIT not in bundle"
for p in "${patches[@]}"; do
  echo "fetch-llama: applying $(basename "$p")" >&2
  (cd "$src.part" && git -c user.email=build@tokenflow -c user.name=tokenflow am --quiet "$p" 2>/dev/null || git apply "$p") \
    || die "patch $(basename "$p") does not apply"
done
touch "$src.part/.tokenflow-ready"
rm -rf "$src"; mv "$src.part" "$src"
echo "$src"
