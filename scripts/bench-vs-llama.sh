#!/usr/bin/env bash
# tokenflow bench vs llama.cpp's llama-bench, side by side in one run, same model file and threads.
# Usage: scripts/bench-vs-llama.sh [THREADS] [REPS] [REPS_1B]
# Models: stories260K (tests/models) and a synthetic ~1.1B F16 llama (written once, 2.2 GB).
# Writes bench/results/bench-<model>.json; the tables go to stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="${1:-2}"
reps="${2:-10}"
reps_1b="${3:-3}"
"$root/scripts/tokenflow" --version >/dev/null        # builds the CLI on a fresh clone
# The reference: llama-bench built natively for this machine (-march=native, ~12 min once on 2 cores, cached);
# TF_BENCH_REFERENCE=shared compares with the llama-bench of tokenflow's own build (same CPU variants) instead.
if [[ "${TF_BENCH_REFERENCE:-native}" == shared ]]; then
  llama_bench="$("$root/scripts/build-llama.sh" | tail -1)/bin/llama-bench"
else
  llama_bench="$("$root/scripts/build-llama.sh" --native | tail -1)/bin/llama-bench"
fi
mkdir -p "$root/bench/results"
run() {
  local model="$1" name="$2" p="$3" n="$4" reps="$5"
  echo "== $name: pp$p tg$n, $threads threads, $reps repetitions" >&2
  TOKENFLOW_PROGRESS=never "$root/scripts/tokenflow" bench -m "$model" -p "$p" -n "$n" -r "$reps" -t "$threads" \
      --compare-llama-bench "$llama_bench" --json > "$root/bench/results/bench-$name.json"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], 'variant', d.get('cpu_variant'), json.dumps(d.get('ratio')), 'tokenflow', d['pp_tokens_per_s'], d['tg_tokens_per_s'], 'llama.cpp', d['llama_bench']['pp_tokens_per_s'], d['llama_bench']['tg_tokens_per_s'])" \
      "$root/bench/results/bench-$name.json" "$name"
}
stories="$root/tests/models/stories260K.gguf"
if [[ -f "$stories" ]]; then run "$stories" stories260K 512 128 "$reps"; fi
if [[ "${TF_BENCH_SKIP_1B:-0}" != 1 ]]; then run synthetic:1b synthetic-1b 512 128 "$reps_1b"; fi
