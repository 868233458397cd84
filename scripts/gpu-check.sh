#!/usr/bin/env bash
# One prepared GPU check (issue 16), sized for a short slot on a shared GPU machine (~10 minutes):
#   0. what GPU and driver this is (nvidia-smi) -> bench/results/gpu/gpu.txt
#   1. the -Pcuda build (natives with the CUDA twins of the kernels, ggml's CUDA backend module in the jar)
#   2. every CUDA kernel test against its scalar reference (ctest: each compares CPU and CUDA when a GPU is present)
#   3. the Java tests of the device paths (GpuOffloadTest: offloaded layers give the CPU's greedy answer, and trees
#      verified on the GPU by the CUDA twins emit the host path's tokens; DeviceLogitsTest; devices())
#   4. kernel benchmarks (CPU and CUDA side by side; tree verification on device logits vs copy + CPU kernel), plain
#      decode with every layer offloaded vs llama-bench -ngl 99, and plain / speculative / KV-compressed generation
#      with every layer offloaded (the default story model)
# Everything lands in bench/results/gpu/ (JSON + logs); a summary is printed at the end. Needs the NVIDIA driver, nvcc
# and either network access (Maven Central, npm) or warm ~/.m2 and ~/.cache/tokenflow caches copied from a build
# machine. Usage: scripts/gpu-check.sh [--skip-build]
#
# scripts/gpu-check.sh --kernels [OUT_DIR]: the part that needs only nvcc, CMake and a C++ compiler (no JDK, no
# network, nothing fetched): tfkernels built with its CUDA twins for that GPU,
# every kernel test (CUDA against the scalar references), and the kernel benchmarks (CUDA rows: top-k, and tree
# verification on device logits vs copy + CPU kernel; CPU only so far: window scores, Quest, ring). ~3-5 minutes on
# 16 cores. At most 8 files go to OUT_DIR (default bench/results/gpu/kernels): gpu.txt, build.log, ctest.log,
# benches.log and the JSON of the top-k, tree-verification, window-score and ring benchmarks. A dry run without a GPU
# (a stub nvidia-smi on PATH) builds and runs everything and fails on each skipped CUDA part, as it should. On this
# workplace's GPU machine (nvcc, CMake, no JDK, no network):
#   run(command="scripts/gpu-check.sh --kernels $OUT", timeout_s=540)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export TOKENFLOW_JOBS="${TOKENFLOW_JOBS:-$(nproc)}"
status=0
step() { echo "== gpu-check: $*" >&2; }
fail() { echo "gpu-check: FAILED: $*" >&2; status=1; }

if [[ "${1:-}" == "--kernels" ]]; then
  out="${2:-$root/bench/results/gpu/kernels}"
  mkdir -p "$out"
  step "kernels 0/3 device"
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv >"$out/gpu.txt" 2>&1 \
    || { cat "$out/gpu.txt" >&2; echo "gpu-check: no NVIDIA GPU or driver here (nvidia-smi failed)" >&2; exit 2; }
  cat "$out/gpu.txt" >&2
  nvcc="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
  # the GPU's own architecture only (compute_cap 9.0 -> 90): a third of the compile time of the default 80;90
  arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')"
  [[ "$arch" =~ ^[0-9]{2,3}$ ]] || arch=""
  build="$root/build/gpu-kernels"
  step "kernels 1/3 build tfkernels with CUDA (sm_${arch:-80;90})"
  gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  { cmake -S cpp-kernels -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DTF_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc" \
      ${arch:+-DCMAKE_CUDA_ARCHITECTURES=$arch} && cmake --build "$build" -j "$TOKENFLOW_JOBS"; } >"$out/build.log" 2>&1 \
    || { tail -30 "$out/build.log" >&2; fail "build"; exit 1; }
  step "kernels 2/3 kernel tests (CUDA vs the scalar references)"
  timeout 300 ctest --test-dir "$build" -V >"$out/ctest.log" 2>&1 || fail "ctest (see $out/ctest.log)"
  grep -E "tests passed|tests failed|CUDA device|CUDA (present|absent)" "$out/ctest.log" | head -40 >&2
  # every test says whether it saw a GPU; "no GPU" anywhere means a CUDA comparison did not run
  skips="$(grep -E "CUDA device: no|no GPU|CUDA absent" "$out/ctest.log" | grep -v "no GPU needed")"
  if [[ -n "$skips" ]]; then
    head -5 <<<"$skips" >&2
    fail "CUDA comparisons skipped: the tests saw no GPU"
  fi
  step "kernels 3/3 kernel benchmarks"
  for b in topk tree_verify window_scores quest ring; do
    exe="$(find "$build" -maxdepth 2 -name "tfk_${b}_bench" -type f | head -1)"
    [[ -x "$exe" ]] || { fail "no tfk_${b}_bench in $build"; continue; }
    # one log for all benchmarks: the GPU machine returns at most 8 files
    echo "== tfk_${b}_bench" >>"$out/benches.log"
    log="$(mktemp)"
    timeout 240 "$exe" "$out/${b}.json" >"$log" 2>&1 || fail "bench $b (see $out/benches.log)"
    cat "$log" >>"$out/benches.log"
    if grep -qi "skipped" "$log"; then grep -i "skipped" "$log" >&2; fail "bench $b ran without its CUDA rows"; fi
    rm -f "$log"
  done
  rm -f "$out/quest.json"  # (tfk_quest_bench prints a table only)
  echo "gpu-check --kernels: results in $out" >&2
  ls -1 "$out" >&2
  exit $status
fi

out="$root/bench/results/gpu"
mkdir -p "$out"

step "0/4 device"
if ! nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv >"$out/gpu.txt" 2>&1; then
  cat "$out/gpu.txt" >&2
  echo "gpu-check: no NVIDIA GPU or driver here (nvidia-smi failed); nothing to check" >&2
  exit 2
fi
cat "$out/gpu.txt" >&2

if [[ "${1:-}" != "--skip-build" ]]; then
  step "1/4 mvn -Pcuda install (no tests)"
  timeout 420 mvn -B -ntp -q -Pcuda install -DskipTests >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; fail "build"; exit 1; }
fi

step "2/4 CUDA kernel tests (ctest)"
timeout 180 ctest --test-dir java-api/target/native-build --output-on-failure >"$out/ctest.log" 2>&1 || fail "ctest"
grep -E "CUDA (present|absent)|tests passed|Failed" "$out/ctest.log" >&2 || true

step "3/4 Java device-path tests"
timeout 240 mvn -B -ntp -Pcuda -pl tests surefire:test -Dtest='GpuOffloadTest,DeviceLogitsTest,NativeLoadingTest' \
  -Dsurefire.failIfNoSpecifiedTests=false >"$out/java-tests.log" 2>&1 || fail "Java device tests"
grep -E "Tests run:|GpuOffloadTest\]|NativeLoadingTest\] devices" "$out/java-tests.log" >&2 || true
grep -qE "GpuOffloadTest.*Skipped: [1-9]" "$out/java-tests.log" && fail "GpuOffloadTest skipped: ggml sees no GPU"

step "4/4 benchmarks"
bin="java-api/target/native-build/cpp-kernels"
for b in topk tree_verify window_scores quest; do
  exe="$(find "$bin" -maxdepth 2 -name "tfk_${b}_bench" -type f | head -1)"
  [[ -x "$exe" ]] && { timeout 90 "$exe" "$out/${b}.json" >"$out/${b}.log" 2>&1 || fail "bench $b"; }
done
cli=examples/target/tokenflow-cli.jar
model=synthetic:1b  # the CLI writes the synthetic 1.1B F16 llama once (2.2 GB, ~/.cache/tokenflow/models)
llama_bin="$(sed -n 's/^llama.bin.dir=//p' java-api/target/native-build/native-build.properties 2>/dev/null)"
cuda_module="$(scripts/fetch-ggml-cuda.sh 2>/dev/null | tail -1)"
if [[ -f "$cli" && -x "$llama_bin/llama-bench" && -f "$cuda_module" ]]; then
  # llama-bench of the same tag loads every ggml module beside it: give it the same CUDA module
  cp -f "$cuda_module" "$llama_bin/libggml-cuda.so"
  timeout 200 java -jar "$cli" bench -m "$model" -ngl 99 -p 512 -n 128 -r 3 --compare-llama-bench="$llama_bin/llama-bench" \
    --json >"$out/decode-ngl99.json" 2>"$out/decode-ngl99.log" || fail "end-to-end bench (see $out/decode-ngl99.log)"
  rm -f "$llama_bin/libggml-cuda.so"
else
  fail "end-to-end bench not run (needs $cli, llama-bench and the CUDA module)"
fi

# The research features end to end with every layer on the GPU, on the default (embedded) story model: plain greedy
# decoding, speculation (trees verified on the GPU: device logits) and KV compression (window scores on the GPU's
# tapped tensors). Sparse attention has no GPU path yet (its ops run on the CPU backend), so it is not run here.
if [[ -f "$cli" ]]; then
  story="Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends."
  long="$story $story $story $story $story $story $story $story"
  for run in "plain|" "spec-recycling|--spec=recycling" "spec-auto|--spec=auto" "kv-windowkv|--kv=windowkv:0.5"; do
    name="${run%%|*}"; flag="${run#*|}"
    prompt="$story"; [[ "$name" == kv-* ]] && prompt="$long"
    timeout 60 java -jar "$cli" generate -ngl 99 -n 128 --temp 0 --ignore-eos --json $flag -p "$prompt" \
      >"$out/e2e-$name.json" 2>"$out/e2e-$name.log" || fail "end-to-end $name (see $out/e2e-$name.log)"
  done
fi

echo "gpu-check: results in $out" >&2
ls -1 "$out" >&2
exit $status
