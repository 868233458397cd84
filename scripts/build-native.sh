#!/usr/bin/env bash
# Build everything native for the Java module: pinned llama.cpp (cached), tfkernels, libtokenflow.
# Usage: build-native.sh [cpu|cuda] [BUILD_DIR] [LIBS_DIR]
#   Copies the shared libraries JavaCPP bundles into LIBS_DIR (file names = sonames) and writes
#   BUILD_DIR/native-build.properties (where llama.cpp's peer tools are, for golden tests and benchmarks).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
backend="${1:-cpu}"
build="${2:-$root/build/native}"
libs="${3:-$build/libs}"
jobs="${TOKENFLOW_JOBS:-$(nproc)}"

mkdir -p "$build"
src="$("$here/fetch-llama.sh" | tail -1)"
llama_build="$("$here/build-llama.sh" | tail -1)"

cuda=OFF
extra=()
if [[ "$backend" == "cuda" ]]; then
  cuda=ON
  command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]] || { echo "build-native: the cuda profile needs nvcc" >&2; exit 1; }
  nvcc_path="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
  extra+=(-DCMAKE_CUDA_COMPILER="$nvcc_path")
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_SRC_DIR="$src" -DLLAMA_BUILD_DIR="$llama_build" \
  -DTFK_LLAMA_SOURCE_DIR="$src" -DTFK_LLAMA_LIBRARY="$llama_build/bin/libllama.so" \
  -DTF_CUDA=$cuda "${extra[@]}" "${launcher[@]}" >"$build.configure.log" 2>&1 \
  || { tail -40 "$build.configure.log" >&2; echo "build-native: configure failed" >&2; exit 1; }
cmake --build "$build" -j "$jobs" >"$build.build.log" 2>&1 \
  || { tail -40 "$build.build.log" >&2; echo "build-native: build failed (log: $build.build.log)" >&2; exit 1; }

# Bundle by soname: JavaCPP preloads "name@.0" as libname.so.0.
rm -rf "$libs"; mkdir -p "$libs"
copy_soname() {
  local f="$1" so
  so=$(objdump -p "$f" 2>/dev/null | awk '/SONAME/ {print $2}')
  cp -L "$f" "$libs/${so:-$(basename "$f")}"
}
for l in ggml-base ggml llama; do copy_soname "$llama_build/bin/lib$l.so"; done
# ggml's CPU backend variants (modules, no soname) and their list, which the Java side extracts from the jar.
: > "$libs/ggml-cpu-variants.txt"
for f in "$llama_build"/bin/libggml-cpu-*.so; do
  cp -L "$f" "$libs/"
  basename "$f" >> "$libs/ggml-cpu-variants.txt"
done
[[ -s "$libs/ggml-cpu-variants.txt" ]] || { echo "build-native: no libggml-cpu-*.so in $llama_build/bin" >&2; exit 1; }
# Other ggml modules tokenflow loads on demand (llama.cpp's RPC backend), listed the same way.
[[ -f "$llama_build/bin/libggml-rpc.so" ]] || { echo "build-native: no libggml-rpc.so in $llama_build/bin" >&2; exit 1; }
cp -L "$llama_build/bin/libggml-rpc.so" "$libs/"
echo libggml-rpc.so > "$libs/ggml-modules.txt"
# The cuda profile also carries ggml's CUDA backend module (sha256-pinned prebuilt of the same tag; these machines
# have nvcc but no cuBLAS to build it); the Java side loads it at start when a GPU and driver are present.
: > "$libs/ggml-gpu-modules.txt"
if [[ "$backend" == "cuda" ]]; then
  cuda_module="$("$here/fetch-ggml-cuda.sh" | tail -1)"
  cp -L "$cuda_module" "$libs/libggml-cuda.so"
  echo libggml-cuda.so >> "$libs/ggml-gpu-modules.txt"
fi
copy_soname "$(find "$build/cpp-kernels" -maxdepth 2 -name 'libtfkernels.so' | head -1)"
copy_soname "$build/native/libtokenflow.so"
cat > "$build/native-build.properties" <<PROPS
llama.src.dir=$src
llama.build.dir=$llama_build
llama.bin.dir=$llama_build/bin
native.build.dir=$build
backend=$backend
PROPS
echo "build-native: libraries in $libs:" >&2
ls -1 "$libs" >&2
