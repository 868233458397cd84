#!/usr/bin/env bash
# Fetch ggml's CUDA backend as a prebuilt, dynamically loadable module built from the same llama.cpp release
# (these build machines have nvcc but no cuBLAS, so it cannot be compiled here). Verifies the package sha256,
# caches libggml-cuda.so and prints its path. Use it with -Dtokenflow.cuda.backend=PATH (or the env
# TOKENFLOW_CUDA_BACKEND); it needs libcudart.so.13 and libcublas.so.13 at run time. Without a GPU or
# driver the load fails and tokenflow runs on the CPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/llama-pin.env"
cache="${TOKENFLOW_CACHE:-$HOME/.cache/tokenflow}/ggml-cuda-$LLAMA_RELEASE"
if [[ -f "$cache/libggml-cuda.so" ]]; then echo "$cache/libggml-cuda.so"; exit 0; fi
command -v npm >/dev/null || { echo "fetch-ggml-cuda: npm is needed" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "fetch-ggml-cuda: downloading $GGML_CUDA_NPM_PACKAGE (~140 MB) ..." >&2
(cd "$tmp" && npm pack --silent "$GGML_CUDA_NPM_PACKAGE" >/dev/null) || { echo "fetch-ggml-cuda: npm pack failed" >&2; exit 1; }
tgz=$(ls "$tmp"/*.tgz | head -1)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
[[ "$got" == "$GGML_CUDA_TGZ_SHA256" ]] || { echo "fetch-ggml-cuda: checksum mismatch: expected $GGML_CUDA_TGZ_SHA256, got $got" >&2; exit 1; }
tar -xzf "$tgz" -C "$tmp" package/bins/linux-x64-cuda/libggml-cuda.so
mkdir -p "$cache"
mv "$tmp/package/bins/linux-x64-cuda/libggml-cuda.so" "$cache/libggml-cuda.so"
echo "$cache/libggml-cuda.so"
