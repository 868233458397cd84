#!/usr/bin/env bash
# The jar on a CPU without AVX: runs the CLI under QEMU user mode emulating a Nehalem (SSE4.2; no AVX, AVX2, FMA
# or F16C), with n-gram speculation so tfkernels' verification runs too. ggml must pick its x64 variant, tfkernels
# its base code, and the text must equal the same code run natively (TOKENFLOW_CPU_VARIANT=x64, TFK_ISA=base).
# Installs Debian's qemu-user when missing (as root). Usage: scripts/qemu-check.sh [CLI_JAR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="${1:-$root/examples/target/tokenflow-cli.jar}"
[[ -f "$jar" ]] || { echo "qemu-check: $jar not found (mvn install first)" >&2; exit 1; }
if ! command -v qemu-x86_64 >/dev/null; then
  [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null || { echo "qemu-check: needs qemu-user (apt-get install qemu-user)" >&2; exit 1; }
  echo "qemu-check: installing qemu-user" >&2
  apt-get install -y -qq qemu-user >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq qemu-user >/dev/null; }
fi
java="$(readlink -f "$(command -v java)")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
args=(-XX:TieredStopAtLevel=1 -Xshare:off "-Dorg.bytedeco.javacpp.cachedir=$tmp/cache" -jar "$jar" generate --verbose
      -m "$root/tests/models/stories260K.gguf" -p "Once upon a time, Lily found a ball. Lily found a" -n 24 -t 1 --spec ngram)
TOKENFLOW_CPU_VARIANT=x64 TFK_ISA=base "$java" "${args[@]}" >"$tmp/native.txt" 2>"$tmp/native.err"
start=$(date +%s)
if ! qemu-x86_64 -cpu Nehalem "$java" "${args[@]}" >"$tmp/qemu.txt" 2>"$tmp/qemu.err"; then
  tail -20 "$tmp/qemu.err" >&2; echo "qemu-check: FAILED: the jar did not run on an emulated Nehalem" >&2; exit 1
fi
system="$(grep -m1 'tokenflow: system:' "$tmp/qemu.err" || true)"
echo "qemu-check: emulated Nehalem ($(( $(date +%s) - start )) s): $system" >&2
grep -q "CPU_VARIANT = x64 | TFK_ISA = base" <<<"$system" || { echo "qemu-check: FAILED: expected the x64 variant and tfkernels' base code" >&2; exit 1; }
if ! cmp -s "$tmp/native.txt" "$tmp/qemu.txt"; then
  diff "$tmp/native.txt" "$tmp/qemu.txt" >&2 || true; echo "qemu-check: FAILED: emulated text differs from the native run of the same code" >&2; exit 1
fi
echo "qemu-check: OK: $(tr '\n' ' ' < "$tmp/qemu.txt" | cut -c1-120)" >&2
