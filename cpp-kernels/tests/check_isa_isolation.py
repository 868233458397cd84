#!/usr/bin/env python3
# check_isa_isolation.py OBJDUMP BINARY: fails if code reachable outside tfk::isa_avx2 uses VEX/AVX
# instructions (ctest tfk_isa_isolation). Only topk_cpu.cpp / window_scores_cpu.cpp / quest_scores_cpu.cpp / block_attn_cpu.cpp compiled into
# tfk::isa_avx2 may contain them; everything else must run on a baseline x86-64 CPU. Catches, e.g.,
# a template instantiated in both ISA variants whose AVX2 copy the linker kept (see CMakeLists.txt:
# the AVX2 objects are linked last). A TU-local clone (.isra/.constprop/.part/.cold) with such
# instructions is accepted when every caller is, transitively, in tfk::isa_avx2.
import re
import subprocess
import sys

objdump, binary = sys.argv[1], sys.argv[2]
text = subprocess.run([objdump, '-d', '-C', '--no-show-raw-insn', binary], capture_output=True, text=True,
                      check=True).stdout
func = None
vex = {}      # (address, name) -> mnemonics
callers = {}  # (address, name) -> set of (address, name)
for line in text.splitlines():
    m = re.match(r'^([0-9a-f]+) <(.*)>:$', line)
    if m:
        func = (int(m.group(1), 16), m.group(2))
        continue
    m = re.match(r'^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$', line)
    if not m or func is None:
        continue
    mnemonic, operands = m.group(1), m.group(2)
    if mnemonic.startswith('v') or 'ymm' in operands or 'zmm' in operands:
        vex.setdefault(func, set()).add(mnemonic)
    t = re.match(r'^([0-9a-f]+) <(.*)>$', operands)
    if t and (mnemonic.startswith('call') or mnemonic.startswith('j')):
        callers.setdefault((int(t.group(1), 16), t.group(2).split('+')[0]), set()).add(func)


def only_from_avx2(f, path=()):
    if 'isa_avx2' in f[1] or f in path:
        return True
    cs = {c for c in callers.get(f, set()) if c != f}
    return bool(cs) and all(only_from_avx2(c, path + (f,)) for c in cs)


bad = 0
for f, mnemonics in sorted(vex.items()):
    if 'isa_avx2' in f[1]:
        continue
    ok = re.search(r'\[clone \.(isra|constprop|part|cold)', f[1]) is not None and only_from_avx2(f)
    print(('ok (local clone, called only from tfk::isa_avx2): ' if ok else 'FAIL: ') + f[1] + ' ' + str(sorted(mnemonics)[:6]))
    bad += 0 if ok else 1
n_avx2 = sum(1 for f in vex if 'isa_avx2' in f[1])
print(f'{binary}: {len(vex)} functions with VEX/AVX instructions, {n_avx2} in tfk::isa_avx2, {bad} reachable from baseline code')
print('PASS' if bad == 0 and n_avx2 > 0 else 'FAIL')
sys.exit(0 if bad == 0 and n_avx2 > 0 else 1)
