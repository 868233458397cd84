// TFK_ISA_NS: the instruction-set variant this translation unit is compiled for (internal).
//
// src/cpu/topk_cpu.cpp, window_scores_cpu.cpp and quest_scores_cpu.cpp are compiled twice, once with AVX2/FMA/F16C
// (-DTFK_ISA_NS=isa_avx2) and once for the x86-64 baseline (-DTFK_ISA_NS=isa_base); their code lives
// in namespace tfk::TFK_ISA_NS and src/cpu/isa_dispatch.cpp picks one at run time. The header-only
// helpers they use (topk_common.h, kv_common.h) sit in the inline namespace tfk::detail::TFK_ISA_NS,
// so each variant gets its own copies (distinct symbols): an inline function compiled with AVX2
// can never be merged by the linker into the baseline path. Every other TU gets "portable".
#pragma once

#if !defined(TFK_ISA_NS)
#  define TFK_ISA_NS portable
#endif
