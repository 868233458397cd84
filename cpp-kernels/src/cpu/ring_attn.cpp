// Sequence-parallel attention as P devices compute it (tfk_ring_attn): Ring-Attention (key/value blocks rotate) and
// TokenRing (query blocks travel, partial results go straight back to their owner), ALGORITHMS.md section 11. Each
// device is a worker thread per step with its own buffers; a Link object copies every message between devices and
// counts it, so the bytes a real interconnect would carry are measured, not estimated. Block attention and the merge
// are tfkernels' own (tfk_block_attn, tfk_attn_merge).
#include "tfkernels.h"
#include "common/block_common.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <thread>
#include <vector>

namespace tfk {
namespace {

// A run of consecutive sequence rows [start, start + len).
struct Chunk {
    int64_t start, len;
};

// Rows of some chunks, packed: [row][head][dim] for q, [row][kv head][dim] for k and v.
struct Rows {
    std::vector<Chunk> chunks;
    std::vector<float> q, k, v;
    int64_t rows() const {
        int64_t n = 0;
        for (const Chunk & c : chunks) n += c.len;
        return n;
    }
};

// Partial results for some chunks' query rows: out [row][head][dv], lse [row][head].
struct Partial {
    std::vector<Chunk> chunks;
    std::vector<float> out, lse;
};

struct Shape {
    int64_t d, dv, H, Hkv;
    float scale;
    bool causal;
};

// Counts and copies what crosses a link.
struct Link {
    tfk_ring_stats st{};
    Rows send_q(const Rows & r, const Shape & s) {
        st.q_messages++;
        st.q_bytes += r.rows() * s.H * s.d * static_cast<int64_t>(sizeof(float));
        Rows c;
        c.chunks = r.chunks;
        c.q = r.q;
        return c;
    }
    Rows send_kv(const Rows & r, const Shape & s) {
        st.kv_messages++;
        st.kv_bytes += r.rows() * s.Hkv * (s.d + s.dv) * static_cast<int64_t>(sizeof(float));
        Rows c;
        c.chunks = r.chunks;
        c.k = r.k;
        c.v = r.v;
        return c;
    }
    Partial send_out(const Partial & p, const Shape & s) {
        int64_t rows = 0;
        for (const Chunk & c : p.chunks) rows += c.len;
        st.out_messages++;
        st.out_bytes += rows * s.H * (s.dv + 1) * static_cast<int64_t>(sizeof(float));
        return p;
    }
};

// The rows of `chunks` copied out of the view (what a device holds at home).
Rows gather(const tfk_block_view * v, const std::vector<Chunk> & chunks, const Shape & s) {
    Rows r;
    r.chunks = chunks;
    for (const Chunk & c : chunks)
        for (int64_t i = c.start; i < c.start + c.len; ++i) {
            for (int64_t h = 0; h < s.H; ++h) {
                const float * q = v->q + i * v->q_row_stride + h * v->q_head_stride;
                r.q.insert(r.q.end(), q, q + s.d);
            }
            for (int64_t g = 0; g < s.Hkv; ++g) {
                const float * k = v->k + i * v->k_row_stride + g * v->k_head_stride;
                const float * vv = v->v + i * v->v_row_stride + g * v->v_head_stride;
                r.k.insert(r.k.end(), k, k + s.d);
                r.v.insert(r.v.end(), vv, vv + s.dv);
            }
        }
    return r;
}

// The rows of the chunks of `r` selected by `keep` (a query block's travelling part).
Rows select_q(const Rows & r, const std::vector<bool> & keep, const Shape & s) {
    Rows o;
    int64_t row = 0;
    for (size_t c = 0; c < r.chunks.size(); ++c) {
        const int64_t n = r.chunks[c].len;
        if (keep[c]) {
            o.chunks.push_back(r.chunks[c]);
            o.q.insert(o.q.end(), r.q.begin() + row * s.H * s.d, r.q.begin() + (row + n) * s.H * s.d);
        }
        row += n;
    }
    return o;
}

// Queries `qr` (any chunks) against keys/values `kvr` (any chunks): the merged partial over every visible pair of
// chunks (a pair with no visible key is skipped). Returns false on a kernel error.
bool attend(const Rows & qr, const Rows & kvr, const Shape & s, Partial * p) {
    const float ninf = -std::numeric_limits<float>::infinity();
    p->chunks = qr.chunks;
    const int64_t nq = qr.rows();
    p->out.assign(static_cast<size_t>(nq * s.H * s.dv), 0.0f);
    p->lse.assign(static_cast<size_t>(nq * s.H), ninf);
    std::vector<float> o, l;
    int64_t qrow = 0;
    for (const Chunk & qc : qr.chunks) {
        int64_t krow = 0;
        for (const Chunk & kc : kvr.chunks) {
            const bool visible = !s.causal || kc.start <= qc.start + qc.len - 1;
            if (visible && qc.len > 0 && kc.len > 0) {
                tfk_block_view b{};
                b.head_dim = s.d;
                b.head_dim_v = s.dv;
                b.n_head = s.H;
                b.n_head_kv = s.Hkv;
                b.n_q = qc.len;
                b.n_kv = kc.len;
                b.q = qr.q.data() + qrow * s.H * s.d;
                b.q_row_stride = s.H * s.d;
                b.q_head_stride = s.d;
                b.k = kvr.k.data() + krow * s.Hkv * s.d;
                b.k_row_stride = s.Hkv * s.d;
                b.k_head_stride = s.d;
                b.v = kvr.v.data() + krow * s.Hkv * s.dv;
                b.v_row_stride = s.Hkv * s.dv;
                b.v_head_stride = s.dv;
                b.causal = s.causal ? 1 : 0;
                b.q_pos0 = qc.start;
                b.k_pos0 = kc.start;
                b.scale = s.scale;
                o.resize(static_cast<size_t>(qc.len * s.H * s.dv));
                l.resize(static_cast<size_t>(qc.len * s.H));
                if (block_attn_cpu(&b, o.data(), l.data(), 1) != TFK_OK) return false;
                if (attn_merge_cpu(p->out.data() + qrow * s.H * s.dv, p->lse.data() + qrow * s.H, o.data(), l.data(),
                                   qc.len * s.H, s.dv) != TFK_OK)
                    return false;
            }
            krow += kc.len;
        }
        qrow += qc.len;
    }
    return true;
}

// Merges partial p (rows of some of the device's chunks) into the device's accumulator (rows of all its chunks).
bool merge_into(const std::vector<Chunk> & own, Partial & acc, const Partial & p, const Shape & s) {
    int64_t prow = 0;
    for (const Chunk & pc : p.chunks) {
        int64_t arow = 0;
        bool found = false;
        for (const Chunk & oc : own) {
            if (oc.start == pc.start && oc.len == pc.len) {
                found = true;
                break;
            }
            arow += oc.len;
        }
        if (!found) return false;
        if (attn_merge_cpu(acc.out.data() + arow * s.H * s.dv, acc.lse.data() + arow * s.H,
                           p.out.data() + prow * s.H * s.dv, p.lse.data() + prow * s.H, pc.len * s.H, s.dv) != TFK_OK)
            return false;
        prow += pc.len;
    }
    return true;
}

// Runs fn(r) for every device r on its own thread (the devices of one step compute at once).
template <typename Fn>
void each_device(int P, const Fn & fn) {
    std::vector<std::thread> t;
    t.reserve(static_cast<size_t>(P));
    for (int r = 1; r < P; ++r) {
        try {
            t.emplace_back(fn, r);
        } catch (...) {
            fn(r);  // no thread: this one runs it
        }
    }
    fn(0);
    for (std::thread & th : t) th.join();
}

} // namespace

int ring_attn(const tfk_block_view * v, int schedule, int P, float * out, float * lse, tfk_ring_stats * stats) noexcept {
    const int rc = detail::ring_validate(v, schedule, P, out, lse);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t n = v->n_q;
        const Shape s{v->head_dim, v->head_dim_v, v->n_head, v->n_head_kv, v->scale, v->causal != 0};
        // the split: P parts, or 2P zigzag chunks
        std::vector<std::vector<Chunk>> own(static_cast<size_t>(P));
        const int64_t parts = s.causal ? 2 * P : P;
        auto part = [&](int64_t c) { return Chunk{c * n / parts, (c + 1) * n / parts - c * n / parts}; };
        for (int r = 0; r < P; ++r) {
            own[static_cast<size_t>(r)].push_back(part(r));
            if (s.causal) own[static_cast<size_t>(r)].push_back(part(2 * P - 1 - r));
        }
        std::vector<Rows> home(static_cast<size_t>(P));
        std::vector<Partial> acc(static_cast<size_t>(P));
        for (int r = 0; r < P; ++r) {
            home[static_cast<size_t>(r)] = gather(v, own[static_cast<size_t>(r)], s);
            Partial & a = acc[static_cast<size_t>(r)];
            a.chunks = own[static_cast<size_t>(r)];
            const int64_t rows = home[static_cast<size_t>(r)].rows();
            a.out.assign(static_cast<size_t>(rows * s.H * s.dv), 0.0f);
            a.lse.assign(static_cast<size_t>(rows * s.H), -std::numeric_limits<float>::infinity());
        }
        Link link;
        std::vector<char> ok(static_cast<size_t>(P), 1);
        if (schedule == TFK_RING_ATTENTION) {
            std::vector<Rows> kv = home;  // the key/value block each device holds this step
            for (int step = 0; step < P; ++step) {
                each_device(P, [&](int r) {
                    Partial p;
                    if (!attend(home[static_cast<size_t>(r)], kv[static_cast<size_t>(r)], s, &p) ||
                        !merge_into(own[static_cast<size_t>(r)], acc[static_cast<size_t>(r)], p, s))
                        ok[static_cast<size_t>(r)] = 0;
                });
                if (step + 1 < P) {
                    std::vector<Rows> next(static_cast<size_t>(P));
                    for (int r = 0; r < P; ++r) next[static_cast<size_t>((r + 1) % P)] = link.send_kv(kv[static_cast<size_t>(r)], s);
                    kv.swap(next);
                }
            }
        } else {
            // device r holds, at step `step`, the queries of origin (r + step) % P; they move r -> r - 1
            std::vector<Rows> q = home;
            for (int step = 0; step < P; ++step) {
                std::vector<Partial> part_of(static_cast<size_t>(P));
                each_device(P, [&](int r) {
                    if (!attend(q[static_cast<size_t>(r)], home[static_cast<size_t>(r)], s, &part_of[static_cast<size_t>(r)]))
                        ok[static_cast<size_t>(r)] = 0;
                });
                // partials straight back to their owners (merged in step order: deterministic)
                for (int r = 0; r < P; ++r) {
                    const int o = (r + step) % P;
                    const Partial back = o == r ? part_of[static_cast<size_t>(r)] : link.send_out(part_of[static_cast<size_t>(r)], s);
                    if (!back.chunks.empty() && !merge_into(own[static_cast<size_t>(o)], acc[static_cast<size_t>(o)], back, s))
                        ok[static_cast<size_t>(o)] = 0;
                }
                if (step + 1 < P) {
                    std::vector<Rows> next(static_cast<size_t>(P));
                    for (int r = 0; r < P; ++r) {
                        const int o = (r + step) % P, to = (r + P - 1) % P;
                        // causal: once the block has wrapped past device 0 (to > o), the origin's first chunk sees
                        // nothing more (every later holder's keys come after it)
                        const std::vector<Chunk> & qc = q[static_cast<size_t>(r)].chunks;
                        std::vector<bool> keep(qc.size(), true);
                        for (size_t c = 0; c < qc.size(); ++c)
                            if (s.causal && to > o && qc[c].start == part(o).start) keep[c] = false;
                        const Rows travel = select_q(q[static_cast<size_t>(r)], keep, s);
                        next[static_cast<size_t>(to)] = travel.chunks.empty() ? Rows{} : link.send_q(travel, s);
                    }
                    q.swap(next);
                }
            }
        }
        for (char c : ok)
            if (!c) return TFK_ERR_INTERNAL;
        // un-zigzag: every device's rows back to sequence order
        for (int r = 0; r < P; ++r) {
            int64_t row = 0;
            const Partial & a = acc[static_cast<size_t>(r)];
            for (const Chunk & c : own[static_cast<size_t>(r)]) {
                if (c.len == 0) continue;  // (an empty device's buffers may have no storage at all)
                std::memcpy(out + c.start * s.H * s.dv, a.out.data() + row * s.H * s.dv, sizeof(float) * static_cast<size_t>(c.len * s.H * s.dv));
                std::memcpy(lse + c.start * s.H, a.lse.data() + row * s.H, sizeof(float) * static_cast<size_t>(c.len * s.H));
                row += c.len;
            }
        }
        if (stats != nullptr) {
            *stats = link.st;
            stats->steps = P;
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" int tfk_ring_attn(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                             tfk_ring_stats * stats) {
    return tfk::ring_attn(v, schedule, n_devices, out, lse, stats);
}
