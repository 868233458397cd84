#!/usr/bin/env bash
# The project's test command (README; .ci/run calls it). From a fresh clone it fetches and builds the
# pinned llama.cpp (cached afterwards), builds everything, and runs:
#   1. Maven: native build + JavaCPP (bindings generated from the headers, checked against the committed ones)
#      + every Java test (unit, integration, golden vs llama.cpp tools, the server's web page in headless Chromium:
#      scripts/install-browser.sh installs Debian's chromium and chromium-driver first when missing, as root)
#   2. ctest on the C++ kernel and facade tests of that build
#   3. the same C++ tests built with AddressSanitizer + UBSan
#   4. the CLI jar on an emulated CPU without AVX (QEMU user mode; scripts/qemu-check.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export TOKENFLOW_JOBS="${TOKENFLOW_JOBS:-$(nproc)}"

scripts/install-browser.sh # before Maven: the web page's browser test fails without it
echo "== [1/4] mvn verify (native build + Java tests)" >&2
mvn -B -ntp verify "$@"

# The JavaCPP bindings are generated from the headers at every build; a committed copy that differs means a
# header changed without its binding being committed.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if ! git -C "$root" diff --quiet -- java-api/src/gen train/src/gen; then
    git -C "$root" diff --stat -- java-api/src/gen train/src/gen >&2
    echo "test.sh: the generated JavaCPP bindings differ from the committed ones: commit java-api/src/gen and train/src/gen" >&2
    exit 1
  fi
fi

echo "== [2/4] ctest (Release build)" >&2
ctest --test-dir java-api/target/native-build --output-on-failure

echo "== [3/4] ctest under AddressSanitizer" >&2
src="$(scripts/fetch-llama.sh | tail -1)"
llama_build="$(scripts/build-llama.sh | tail -1)"
cmake --preset asan -DLLAMA_SRC_DIR="$src" -DLLAMA_BUILD_DIR="$llama_build" \
  -DTFK_LLAMA_SOURCE_DIR="$src" -DTFK_LLAMA_LIBRARY="$llama_build/bin/libllama.so" >/dev/null
cmake --build --preset asan -j "$TOKENFLOW_JOBS" >/dev/null
ASAN_OPTIONS=detect_leaks=1 ctest --preset asan --output-on-failure

echo "== [4/4] the jar on an emulated CPU without AVX (QEMU)" >&2
scripts/qemu-check.sh
