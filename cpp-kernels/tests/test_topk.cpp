// Compares tfk::topk_cpu (several thread counts), the flat C entry and, when a GPU is present,
// tfk::topk_cuda against tfk::topk_ref on seeded random inputs. IDs must match exactly and values
// bit for bit. Also checks the reference on hand-made rows and the error codes. Exit code != 0 on
// any failure.
#include "tfkernels.h"
#include "check.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {



uint32_t bits(float x) {
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

float from_bits(uint32_t b) {
    float x;
    std::memcpy(&x, &b, sizeof x);
    return x;
}

const float kInf  = std::numeric_limits<float>::infinity();
const float kQNaN = std::numeric_limits<float>::quiet_NaN();

enum class Fill {
    Normal,      // N(0, 4)
    Ties,        // few distinct values: many exact ties
    Special,     // NaN (several payloads/signs), +-inf, +-0 mixed into normal values
    MostlyNaN,   // fewer non-NaN values than k in some rows: NaNs get selected
    MostlyNegInf,// -inf ties plus NaN and a few finite values
    FewFinite,   // only every 10007th value finite, the rest -inf or NaN
    Ascending,   // every value is a new maximum: worst case for the threshold filter
    Descending,
};

const char * fill_name(Fill f) {
    switch (f) {
        case Fill::Normal:       return "normal";
        case Fill::Ties:         return "ties";
        case Fill::Special:      return "nan/inf/zero";
        case Fill::MostlyNaN:    return "mostly-nan";
        case Fill::MostlyNegInf: return "mostly-neginf";
        case Fill::FewFinite:    return "few-finite";
        case Fill::Ascending:    return "ascending";
        case Fill::Descending:   return "descending";
    }
    return "?";
}

struct Case {
    int64_t rows, cols, stride;
    int     k;
    Fill    fill;
};

// Padding between n_cols and row_stride is +inf: any kernel that reads it selects it and fails.
std::vector<float> make_input(const Case & c, std::mt19937 & rng) {
    std::vector<float> x(static_cast<size_t>(c.rows * c.stride), kInf);
    std::normal_distribution<float> normal(0.0f, 4.0f);
    std::uniform_int_distribution<int> pick(0, 99);
    const float ties[] = {-2.0f, -1.0f, -0.5f, 0.25f, 0.5f, 1.0f, 1.5f, 3.0f};
    const float specials[] = {kQNaN, -kQNaN, from_bits(0x7f800001u), from_bits(0xffc12345u),
                              kInf, -kInf, 0.0f, -0.0f};
    for (int64_t r = 0; r < c.rows; ++r) {
        float * row = x.data() + r * c.stride;
        for (int64_t j = 0; j < c.cols; ++j) {
            float v = normal(rng);
            switch (c.fill) {
                case Fill::Normal: break;
                case Fill::Ties: v = ties[pick(rng) % 8]; break;
                case Fill::Special: if (pick(rng) < 30) v = specials[pick(rng) % 8]; break;
                case Fill::MostlyNaN:
                    if (pick(rng) < 97) v = specials[pick(rng) % 4];
                    break;
                case Fill::MostlyNegInf: {
                    const int p = pick(rng);
                    if (p < 90) v = -kInf;
                    else if (p < 97) v = specials[p % 4];
                    break;
                }
                case Fill::FewFinite:
                    if (j % 10007 != 5) v = pick(rng) < 50 ? -kInf : specials[pick(rng) % 4];
                    break;
                case Fill::Ascending: v = -1000.0f + 0.001f * static_cast<float>(j) + static_cast<float>(r); break;
                case Fill::Descending: v = 1000.0f - 0.001f * static_cast<float>(j) - static_cast<float>(r); break;
            }
            row[j] = v;
        }
    }
    return x;
}

struct Result {
    std::vector<int32_t> ids;
    std::vector<float>   vals;
    explicit Result(size_t n) : ids(n, -7), vals(n, from_bits(0xdeadbeefu)) {}
};

// Exact comparison; prints the first mismatch.
bool same(const char * what, const Case & c, const Result & ref, const Result & got) {
    for (int64_t r = 0; r < c.rows; ++r) {
        for (int i = 0; i < c.k; ++i) {
            const size_t at = static_cast<size_t>(r * c.k + i);
            if (ref.ids[at] != got.ids[at] || bits(ref.vals[at]) != bits(got.vals[at])) {
                std::printf("  FAIL %s %" PRId64 "x%" PRId64 " stride %" PRId64 " k=%d %s: row %" PRId64
                            " rank %d: want id %d (0x%08x %g), got id %d (0x%08x %g)\n",
                            what, c.rows, c.cols, c.stride, c.k, fill_name(c.fill), r, i, ref.ids[at],
                            bits(ref.vals[at]), ref.vals[at], got.ids[at], bits(got.vals[at]), got.vals[at]);
                return false;
            }
        }
    }
    return true;
}

bool g_cuda = false;

void run_case(const Case & c, std::mt19937 & rng) {
    const std::vector<float> x = make_input(c, rng);
    const size_t n_out = static_cast<size_t>(c.rows * c.k);
    Result ref(n_out);
    const int rc = tfk::topk_ref(x.data(), c.rows, c.cols, c.stride, c.k, ref.ids.data(), ref.vals.data());
    EXPECT(rc == TFK_OK, "topk_ref rc=%d", rc);

    // Sanity of the reference itself: descending under the API order, ids in range and distinct per row.
    for (int64_t r = 0; r < c.rows; ++r) {
        for (int i = 0; i < c.k; ++i) {
            const size_t at = static_cast<size_t>(r * c.k + i);
            EXPECT(ref.ids[at] >= 0 && ref.ids[at] < c.cols, "id %d out of range", ref.ids[at]);
            if (i > 0) {
                const float a = ref.vals[at - 1], b = ref.vals[at];
                const bool ok = std::isnan(b) ? (!std::isnan(a) || ref.ids[at - 1] < ref.ids[at])
                                              : (!std::isnan(a) && (a > b || (a == b && ref.ids[at - 1] < ref.ids[at])));
                EXPECT(ok, "reference not in API order at row %" PRId64 " rank %d", r, i);
            }
        }
    }

    bool all_ok = true;
    const int thread_counts[] = {1, 2, 3, 4, 8, 0};
    for (int t : thread_counts) {
        Result got(n_out);
        const int rc2 = tfk::topk_cpu(x.data(), c.rows, c.cols, c.stride, c.k, got.ids.data(), got.vals.data(), t);
        EXPECT(rc2 == TFK_OK, "topk_cpu rc=%d", rc2);
        std::string what = "topk_cpu(threads=" + std::to_string(t) + ")";
        const bool ok = same(what.c_str(), c, ref, got);
        EXPECT(ok, "%s differs from topk_ref", what.c_str());
        all_ok = all_ok && ok;
    }
    {
        Result got(n_out);
        const int rc2 = tfk_topk_f32(x.data(), c.rows, c.cols, c.stride, c.k, got.ids.data(), got.vals.data(), 2);
        EXPECT(rc2 == TFK_OK, "tfk_topk_f32 rc=%d", rc2);
        const bool ok = same("tfk_topk_f32", c, ref, got);
        EXPECT(ok, "tfk_topk_f32 differs from topk_ref");
        all_ok = all_ok && ok;
    }
    if (g_cuda) {
        Result got(n_out);
        void *d_x = nullptr, *d_ids = nullptr, *d_vals = nullptr;
        int e = tfk_cuda_malloc(&d_x, x.size() * sizeof(float));
        if (e == TFK_OK) e = tfk_cuda_malloc(&d_ids, n_out * sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_malloc(&d_vals, n_out * sizeof(float));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_x, x.data(), x.size() * sizeof(float));
        if (e == TFK_OK) e = tfk::topk_cuda(static_cast<const float *>(d_x), c.rows, c.cols, c.stride, c.k,
                                            static_cast<int32_t *>(d_ids), static_cast<float *>(d_vals), nullptr);
        if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(got.ids.data(), d_ids, n_out * sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(got.vals.data(), d_vals, n_out * sizeof(float));
        EXPECT(e == TFK_OK, "CUDA path rc=%d (%s) last CUDA error: %s", e, tfk_status_str(e), tfk_cuda_last_error());
        tfk_cuda_free(d_x);
        tfk_cuda_free(d_ids);
        tfk_cuda_free(d_vals);
        if (e == TFK_OK) {
            const bool ok = same("topk_cuda", c, ref, got);
            EXPECT(ok, "topk_cuda differs from topk_ref");
            all_ok = all_ok && ok;
        }
    }
    std::printf("  %-4s %6" PRId64 " x %-7" PRId64 " stride %-7" PRId64 " k=%-2d %s\n", all_ok ? "ok" : "FAIL",
                c.rows, c.cols, c.stride, c.k, fill_name(c.fill));
}

// Hand-checked rows: the reference (the oracle) must get these right.
void test_reference_by_hand() {
    std::printf("reference on hand-made rows\n");
    {
        const float x[] = {1.0f, 3.0f, 3.0f, kQNaN, -kInf, 2.0f};
        int32_t ids[6];
        float vals[6];
        EXPECT(tfk::topk_ref(x, 1, 6, 6, 6, ids, vals) == TFK_OK, "rc");
        const int32_t want[] = {1, 2, 5, 0, 4, 3};
        EXPECT(std::memcmp(ids, want, sizeof want) == 0, "got %d %d %d %d %d %d", ids[0], ids[1], ids[2], ids[3],
               ids[4], ids[5]);
        EXPECT(std::isnan(vals[5]) && vals[4] == -kInf, "values");
    }
    {
        // -0 and +0 tie (smaller column first) and keep their sign bits; NaNs come last, by column.
        const float x[] = {from_bits(0xffc00001u), -0.0f, 0.0f, -1.0f, kQNaN};
        int32_t ids[5];
        float vals[5];
        EXPECT(tfk::topk_ref(x, 1, 5, 5, 5, ids, vals) == TFK_OK, "rc");
        const int32_t want[] = {1, 2, 3, 0, 4};
        EXPECT(std::memcmp(ids, want, sizeof want) == 0, "got %d %d %d %d %d", ids[0], ids[1], ids[2], ids[3], ids[4]);
        EXPECT(bits(vals[0]) == 0x80000000u && bits(vals[1]) == 0u, "zero signs lost");
        EXPECT(bits(vals[3]) == 0xffc00001u && bits(vals[4]) == bits(kQNaN), "NaN bits lost");
    }
}

void test_errors() {
    std::printf("error codes\n");
    float x[16];
    for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i) + 0.5f;
    int32_t ids[64];
    float vals[64];
    struct Bad {
        const char * what;
        const float * x;
        int64_t rows, cols, stride;
        int k;
        int32_t * ids;
        float * vals;
        int want;
    };
    const Bad bad[] = {
        {"k=0", x, 1, 16, 16, 0, ids, vals, TFK_ERR_BAD_K},
        {"k<0", x, 1, 16, 16, -3, ids, vals, TFK_ERR_BAD_K},
        {"k=65", x, 1, 16, 16, 65, ids, vals, TFK_ERR_BAD_K},
        {"k>n_cols", x, 1, 8, 8, 9, ids, vals, TFK_ERR_BAD_K},
        {"null logits", nullptr, 1, 16, 16, 4, ids, vals, TFK_ERR_NULL},
        {"null ids", x, 1, 16, 16, 4, nullptr, vals, TFK_ERR_NULL},
        {"null vals", x, 1, 16, 16, 4, ids, nullptr, TFK_ERR_NULL},
        {"n_cols=0", x, 1, 0, 16, 1, ids, vals, TFK_ERR_BAD_SHAPE},
        {"n_cols<0", x, 1, -4, 16, 1, ids, vals, TFK_ERR_BAD_SHAPE},
        {"n_rows<0", x, -1, 16, 16, 4, ids, vals, TFK_ERR_BAD_SHAPE},
        {"n_cols>INT32_MAX", x, 1, int64_t(1) << 31, int64_t(1) << 31, 4, ids, vals, TFK_ERR_BAD_SHAPE},
        {"extent overflows", x, int64_t(1) << 40, 16, int64_t(1) << 30, 4, ids, vals, TFK_ERR_BAD_SHAPE},
        {"stride<n_cols", x, 2, 8, 7, 4, ids, vals, TFK_ERR_BAD_STRIDE},
    };
    for (const Bad & b : bad) {
        for (int i = 0; i < 64; ++i) ids[i] = -7;
        const int r_ref  = tfk::topk_ref(b.x, b.rows, b.cols, b.stride, b.k, b.ids, b.vals);
        const int r_cpu  = tfk::topk_cpu(b.x, b.rows, b.cols, b.stride, b.k, b.ids, b.vals, 2);
        const int r_flat = tfk_topk_f32(b.x, b.rows, b.cols, b.stride, b.k, b.ids, b.vals, 2);
        const int r_fref = tfk_topk_ref_f32(b.x, b.rows, b.cols, b.stride, b.k, b.ids, b.vals);
        // Validation precedes any CUDA call, so host pointers are fine here even with a GPU.
        const int r_cuda = tfk::topk_cuda(b.x, b.rows, b.cols, b.stride, b.k, b.ids, b.vals, nullptr);
        const int r_fcud = tfk_topk_cuda_f32(b.x, b.rows, b.cols, b.stride, b.k, b.ids, b.vals, nullptr);
        const bool ok = r_ref == b.want && r_cpu == b.want && r_flat == b.want && r_fref == b.want &&
                        r_cuda == b.want && r_fcud == b.want;
        EXPECT(ok, "%s: want %d, got ref %d cpu %d flat %d flat_ref %d cuda %d flat_cuda %d", b.what, b.want, r_ref,
               r_cpu, r_flat, r_fref, r_cuda, r_fcud);
        bool untouched = true;
        for (int i = 0; i < 64; ++i) untouched = untouched && ids[i] == -7;
        EXPECT(untouched, "%s: output written on error", b.what);
        std::printf("  %-4s %-18s -> %d (%s)\n", ok ? "ok" : "FAIL", b.what, b.want, tfk_status_str(b.want));
    }
    // n_rows == 0 is a valid no-op.
    EXPECT(tfk::topk_cpu(x, 0, 16, 16, 4, ids, vals, 2) == TFK_OK, "n_rows=0 cpu");
    EXPECT(tfk::topk_ref(x, 0, 16, 16, 4, ids, vals) == TFK_OK, "n_rows=0 ref");
    EXPECT(std::strlen(tfk_status_str(-12345)) > 0 && std::strlen(tfk_status_str(TFK_OK)) > 0, "status strings");
    if (!g_cuda) {
        const int r = tfk::topk_cuda(x, 1, 16, 16, 4, ids, vals, nullptr);
        EXPECT(r == TFK_ERR_NO_CUDA, "topk_cuda without GPU: want %d got %d", TFK_ERR_NO_CUDA, r);
        void * p = reinterpret_cast<void *>(0x1);
        EXPECT(tfk_cuda_malloc(&p, 16) == TFK_ERR_NO_CUDA && p == nullptr, "tfk_cuda_malloc without GPU");
    }
}

} // namespace

// tfk_cpu_isa(): "avx2" or "base", stable across calls; "base" whenever TFK_ISA=base is set (ctest
// runs this test a second time that way, as tfk_topk_base).
static void test_cpu_isa() {
    const char * isa = tfk_cpu_isa();
    const char * forced = std::getenv("TFK_ISA");
    std::printf("CPU kernels ISA: %s (TFK_ISA=%s)\n", isa, forced != nullptr ? forced : "<unset>");
    EXPECT(std::strcmp(isa, "avx2") == 0 || std::strcmp(isa, "base") == 0, "tfk_cpu_isa() = %s", isa);
    EXPECT(tfk_cpu_isa() == isa, "tfk_cpu_isa() changed between calls");
    if (forced != nullptr && std::strcmp(forced, "base") == 0)
        EXPECT(std::strcmp(isa, "base") == 0, "TFK_ISA=base but tfk_cpu_isa() = %s", isa);
}

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("tfkernels top-k test (CUDA device: %s)\n", g_cuda ? "yes" : "no");
    test_cpu_isa();

    test_reference_by_hand();
    test_errors();

    std::mt19937 rng(20240611u);
    const Case cases[] = {
        {1, 1, 1, 1, Fill::Normal},
        {1, 7, 7, 7, Fill::Normal},            // k == n_cols, odd width
        {5, 13, 13, 1, Fill::Normal},          // k = 1
        {3, 64, 64, 64, Fill::Normal},         // k == n_cols == 64
        {4, 100, 100, 64, Fill::Normal},
        {9, 33, 33, 32, Fill::Special},
        {2, 1001, 1013, 17, Fill::Normal},     // row_stride > n_cols
        {3, 32000, 32000, 8, Fill::Normal},
        {3, 32000, 32000, 64, Fill::Normal},
        {7, 128000, 128000, 40, Fill::Normal},
        {7, 128000, 128000, 64, Fill::Normal},
        {2, 256000, 256000, 64, Fill::Normal},
        {2, 256000, 256000, 1, Fill::Normal},
        {1, 256000, 256000, 8, Fill::Normal},
        {1, 200003, 200011, 33, Fill::Special},
        {200, 4096, 4096, 64, Fill::Normal},
        {200, 4096, 4100, 10, Fill::Normal},
        {16, 5000, 5000, 64, Fill::Ties},
        {1, 300001, 300001, 64, Fill::Ties},
        // >= 1M elements: topk_cpu splits one row's columns across threads, then merges.
        {1, 1100000, 1100000, 64, Fill::Normal},
        {1, 1048583, 1048583, 64, Fill::Ties},  // ties across column chunks
        {3, 1200000, 1200007, 8, Fill::Special},
        {1, 1048576, 1048576, 64, Fill::Ascending},
        {8, 999, 999, 50, Fill::Special},
        {3, 70000, 70003, 64, Fill::Special},
        {6, 1000, 1000, 64, Fill::MostlyNaN},
        {1, 70001, 70001, 64, Fill::MostlyNaN},
        {4, 2049, 2049, 64, Fill::MostlyNegInf},
        {1, 262144, 262144, 64, Fill::MostlyNegInf},
        {1, 300000, 300000, 64, Fill::FewFinite},  // < k finite values
        {2, 100000, 100000, 8, Fill::FewFinite},
        {2, 10000, 10000, 64, Fill::Ascending},
        {1, 262144, 262144, 64, Fill::Ascending},
        {1, 100000, 100000, 64, Fill::Descending},
    };
    std::printf("random cases: topk_cpu (threads 1,2,3,4,8,auto) + tfk_topk_f32%s vs topk_ref\n",
                g_cuda ? " + topk_cuda" : "");
    for (const Case & c : cases) run_case(c, rng);
    if (!g_cuda) std::printf("CUDA: skipped (no GPU)\n");

    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}
