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
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/bench/results/gpu"
mkdir -p "$out"
export TOKENFLOW_JOBS="${TOKENFLOW_JOBS:-$(nproc)}"
status=0
step() { echo "== gpu-check: $*" >&2; }
fail() { echo "gpu-check: FAILED: $*" >&2; status=1; }

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
