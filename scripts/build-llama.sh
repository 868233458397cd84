#!/usr/bin/env bash
# Build the pinned llama.cpp (shared libs + peer tools) once per (release, patches, flags) and cache it.
# Prints the build folder (last line of stdout). Libraries land in <build>/bin with RUNPATH $ORIGIN.
#   TOKENFLOW_CACHE   cache root (default ~/.cache/tokenflow)
#   LLAMA_CPP_DIR     use this llama.cpp checkout instead of the pinned one
#   TOKENFLOW_JOBS    parallel build jobs (default: nproc)
#   TOKENFLOW_CPU_VARIANTS  ggml CPU variants to build, ;-separated (default: x64;haswell;skylakex;zen4)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/llama-pin.env"
src="$("$here/fetch-llama.sh" | tail -1)"
cache="${TOKENFLOW_CACHE:-$HOME/.cache/tokenflow}"
jobs="${TOKENFLOW_JOBS:-$(nproc)}"

# The CPU backend as runtime-selected variants (GGML_BACKEND_DL): libggml-cpu-<variant>.so each, and ggml loads the
# best one the CPU supports. x64 runs on any x86-64 (SSE2), haswell needs AVX2/FMA/F16C/BMI2, skylakex AVX-512
# F/CD/BW/DQ/VL, zen4 adds AVX512-VBMI/VNNI/BF16 (Zen 4/5, Sapphire Rapids and later). Each variant is a full
# ggml-cpu build (~2.5 min on 2 cores); the other eight of llama.cpp's x86 variants gain little over these four.
# No OpenMP (libgomp would not be bundled); rpath $ORIGIN so the jar never loads a second ggml from this folder.
# ggml-rpc (llama.cpp's RPC backend, models across machines) is a module too, libggml-rpc.so, loaded by tokenflow only
# when RPC servers are given; TCP only (RDMA off, so the jar never depends on libibverbs).
cpu_variants="${TOKENFLOW_CPU_VARIANTS:-x64;haswell;skylakex;zen4}"
flags=(
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
  -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON "-DGGML_CPU_VARIANTS=$cpu_variants"
  -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF -DGGML_RPC=ON -DGGML_RPC_RDMA=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DCMAKE_SKIP_INSTALL_RPATH=OFF "-DCMAKE_BUILD_RPATH=\$ORIGIN"
)
# --native: a reference build for this machine only (-march=native, CPU backend linked in), for benchmarks that
# compare tokenflow with a natively built llama-bench (scripts/bench-vs-llama.sh). Never bundled in the jar.
if [[ "${1:-}" == "--native" ]]; then
  flags=(
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF
    -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON "-DCMAKE_BUILD_RPATH=\$ORIGIN"
  )
  targets=(llama-bench)
elif [[ "${1:-}" == "--server" ]]; then
  # --server: llama.cpp's own llama-server on the same ggml build as the jar's (CPU variants), for the side-by-side
  # serving benchmark (bench/ ServerBench). A separate folder: the default build stays as CI caches it.
  for i in "${!flags[@]}"; do [[ "${flags[$i]}" == -DLLAMA_BUILD_SERVER=OFF ]] && flags[$i]=-DLLAMA_BUILD_SERVER=ON; done
  targets=(llama-server)
else
targets=(llama ggml ggml-base ggml-rpc llama-simple llama-lookup llama-lookahead llama-bench llama-tokenize)
fi
if command -v ccache >/dev/null; then flags+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

key=$( { echo "$LLAMA_COMMIT"; basename "$src"; printf '%s\n' "${flags[@]}" "${targets[@]}"; } | sha256sum | cut -c1-16)
build="$cache/llama-build-$key"
if [[ -f "$build/.tokenflow-built" ]]; then echo "$build"; exit 0; fi

echo "build-llama: building llama.cpp $LLAMA_RELEASE into $build ($jobs jobs; ~20 min on 2 cores, cached afterwards)" >&2
cmake -S "$src" -B "$build" -G "Unix Makefiles" "${flags[@]}" >"$build.configure.log" 2>&1 \
  || { tail -30 "$build.configure.log" >&2; echo "build-llama: configure failed (log: $build.configure.log)" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >"$build.build.log" 2>&1 \
  || { tail -30 "$build.build.log" >&2; echo "build-llama: build failed (log: $build.build.log)" >&2; exit 1; }
touch "$build/.tokenflow-built"
echo "$build"
