#!/usr/bin/env bash
# Build the pinned llama.cpp (shared libs + peer tools) once per (release, patches, flags) and cache it.
# Prints the build folder (last line of stdout). Libraries land in <build>/bin with RUNPATH $ORIGIN.
#   TOKENFLOW_CACHE   cache root (default ~/.cache/tokenflow)
#   LLAMA_CPP_DIR     use this llama.cpp checkout instead of the pinned one
#   TOKENFLOW_JOBS    parallel build jobs (default: nproc)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/llama-pin.env"
src="$("$here/fetch-llama.sh" | tail -1)"
cache="${TOKENFLOW_CACHE:-$HOME/.cache/tokenflow}"
jobs="${TOKENFLOW_JOBS:-$(nproc)}"

# Portable CPU code (no -march=native: the jar must run on other x86-64-v3 hosts), no OpenMP (libgomp
# would not be bundled), rpath $ORIGIN so the jar never loads a second ggml from this folder.
flags=(
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
  -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
  -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DCMAKE_SKIP_INSTALL_RPATH=OFF "-DCMAKE_BUILD_RPATH=\$ORIGIN"
)
targets=(llama ggml ggml-base ggml-cpu llama-simple llama-lookup llama-lookahead llama-bench llama-tokenize)
if command -v ccache >/dev/null; then flags+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

key=$( { echo "$LLAMA_COMMIT"; basename "$src"; printf '%s\n' "${flags[@]}" "${targets[@]}"; } | sha256sum | cut -c1-16)
build="$cache/llama-build-$key"
if [[ -f "$build/.tokenflow-built" ]]; then echo "$build"; exit 0; fi

echo "build-llama: building llama.cpp $LLAMA_RELEASE into $build ($jobs jobs; ~10 min on 2 cores, cached afterwards)" >&2
cmake -S "$src" -B "$build" -G "Unix Makefiles" "${flags[@]}" >"$build.configure.log" 2>&1 \
  || { tail -30 "$build.configure.log" >&2; echo "build-llama: configure failed (log: $build.configure.log)" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >"$build.build.log" 2>&1 \
  || { tail -30 "$build.build.log" >&2; echo "build-llama: build failed (log: $build.build.log)" >&2; exit 1; }
touch "$build/.tokenflow-built"
echo "$build"
