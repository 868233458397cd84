// Minimal check macros shared by the kernel tests (no test framework needed): count checks and failures,
// print each failure with its location and a printf-style message.
#pragma once

#include <cstdio>

inline int g_checks   = 0;
inline int g_failures = 0;

#define EXPECT(cond, ...)                                                  \
    do {                                                                   \
        ++g_checks;                                                        \
        if (!(cond)) {                                                     \
            ++g_failures;                                                  \
            std::printf("  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            std::printf(__VA_ARGS__);                                      \
            std::printf("\n");                                             \
        }                                                                  \
    } while (0)
