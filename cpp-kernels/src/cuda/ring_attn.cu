// Sequence-parallel attention on GPUs (tfk_ring_attn_cuda): the schedules of src/cpu/ring_attn.cpp (Ring-Attention,
// TokenRing; ALGORITHMS.md section 11) with every device computing on a GPU. A device is {CUDA device, compute
// stream, link stream} plus its own buffers: GPU r when there are >= P GPUs, else P stream pairs on GPU 0 (the same
// code either way). A message is one cudaMemcpyPeerAsync on the sender's link stream into a buffer the receiver owns,
// counted exactly as the CPU's Link counts it. Buffers that are refilled every step are double-buffered by step
// parity, and CUDA events order each copy after the sender's data is ready and after the receiver has finished with
// the slot it overwrites; the sends of a step are enqueued before its compute, so the links work while the devices
// compute. Block attention and the merge are block_attn_cuda / attn_merge_cuda on the device's compute stream.
#include "tfkernels.h"
#include "common/block_common.h"
#include "cuda/cuda_check.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <utility>
#include <vector>

#define TFK_RING_TRY(expr)                 \
    do {                                   \
        const int tfk_rc_ = (expr);        \
        if (tfk_rc_ != TFK_OK) return tfk_rc_; \
    } while (0)

namespace tfk {
namespace {

constexpr int kThreads = 256;

struct Chunk {
    int64_t start, len;
};

int64_t rows_of(const std::vector<Chunk> & cs) {
    int64_t n = 0;
    for (const Chunk & c : cs) n += c.len;
    return n;
}

struct Shape {
    int64_t d, dv, H, Hkv;
    float scale;
    bool causal;
};

// Errors in destructors are dropped (and cleared): they only matter on paths that already return an error.
void quiet(cudaError_t e) {
    if (e != cudaSuccess) (void) cudaGetLastError();
}

// Floats in plain cudaMalloc memory of one device (not a stream-ordered pool: peer copies and peer access apply to
// it without per-pool access settings).
class Mem {
public:
    Mem() = default;
    ~Mem() { discard(); }
    Mem(const Mem &) = delete;
    Mem & operator=(const Mem &) = delete;
    int alloc(int dev, int64_t n) {
        discard();
        TFK_CUDA_CHECK(cudaSetDevice(dev));
        void * p = nullptr;
        TFK_CUDA_CHECK(cudaMalloc(&p, static_cast<size_t>(std::max<int64_t>(1, n)) * sizeof(float)));
        p_ = static_cast<float *>(p);
        dev_ = dev;
        return TFK_OK;
    }
    float * get() const { return p_; }

private:
    void discard() noexcept {
        if (p_ == nullptr) return;
        quiet(cudaSetDevice(dev_));
        quiet(cudaFree(std::exchange(p_, nullptr)));
    }
    float * p_ = nullptr;
    int dev_ = 0;
};

class Stream {
public:
    Stream() = default;
    ~Stream() {
        if (s_ == nullptr) return;
        quiet(cudaSetDevice(dev_));
        quiet(cudaStreamDestroy(s_));
    }
    Stream(const Stream &) = delete;
    Stream & operator=(const Stream &) = delete;
    int create(int dev) {
        TFK_CUDA_CHECK(cudaSetDevice(dev));
        TFK_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking));
        dev_ = dev;
        return TFK_OK;
    }
    cudaStream_t get() const { return s_; }

private:
    cudaStream_t s_ = nullptr;
    int dev_ = 0;
};

// An event belongs to the device whose stream records it; other devices' streams may wait on it. Waiting on an
// event never recorded returns at once (the first steps have nothing to wait for).
class Event {
public:
    Event() = default;
    ~Event() {
        if (e_ == nullptr) return;
        quiet(cudaSetDevice(dev_));
        quiet(cudaEventDestroy(e_));
    }
    Event(const Event &) = delete;
    Event & operator=(const Event &) = delete;
    int create(int dev) {
        TFK_CUDA_CHECK(cudaSetDevice(dev));
        TFK_CUDA_CHECK(cudaEventCreateWithFlags(&e_, cudaEventDisableTiming));
        dev_ = dev;
        return TFK_OK;
    }
    cudaEvent_t get() const { return e_; }

private:
    cudaEvent_t e_ = nullptr;
    int dev_ = 0;
};

// One simulated device. Events and double buffers are indexed by step parity: a slot is re-recorded (rewritten)
// two steps later, after every wait on it has been enqueued.
struct Dev {
    int id = 0;
    Stream compute, link;            // declared first: destroyed last
    Event computed[2];               // compute stream: this step's block attention done
    Event sent[2];                   // link stream: this step's q or k/v message copied out
    Event psent[2];                  // link stream: this step's partial copied to its owner (TokenRing)
    Event merged[2];                 // compute stream: the partial received at that step merged (TokenRing)
    Mem q, k, v;                     // home rows, packed [row][head][dim]
    Mem acc_out, acc_lse;            // the result for the home rows
    Mem in_a[2], in_b[2];            // incoming blocks: k and v (Ring-Attention) or q in in_a (TokenRing)
    Mem part_out[2], part_lse[2];    // this step's partial (Ring-Attention uses slot 0)
    Mem recv_out[2], recv_lse[2];    // a partial received from another device (TokenRing)
    Mem tmp_out, tmp_lse;            // one chunk pair's block result

    int set() const {
        TFK_CUDA_CHECK(cudaSetDevice(id));
        return TFK_OK;
    }
    int wait(const Event & e) const {  // the compute stream waits for e
        TFK_CUDA_CHECK(cudaStreamWaitEvent(compute.get(), e.get(), 0));
        return TFK_OK;
    }
    int link_wait(const Event & e) const {
        TFK_CUDA_CHECK(cudaStreamWaitEvent(link.get(), e.get(), 0));
        return TFK_OK;
    }
};

// The devices; on the way out (error paths included) every stream is drained before any buffer is freed.
struct Fleet {
    std::vector<Dev> d;
    explicit Fleet(int P) : d(static_cast<size_t>(P)) {}
    ~Fleet() { quiet(drain()); }
    Fleet(const Fleet &) = delete;
    Fleet & operator=(const Fleet &) = delete;
    cudaError_t drain() {
        cudaError_t first = cudaSuccess;
        for (Dev & x : d)
            for (const Stream * s : {&x.compute, &x.link}) {
                if (s->get() == nullptr) continue;
                cudaError_t e = cudaSetDevice(x.id);
                if (e == cudaSuccess) e = cudaStreamSynchronize(s->get());
                if (e != cudaSuccess && first == cudaSuccess) first = e;
            }
        return first;
    }
    Dev & operator[](int r) { return d[static_cast<size_t>(r)]; }
};

// Restores the caller's current device.
struct DeviceGuard {
    int dev = -1;
    ~DeviceGuard() {
        if (dev >= 0) quiet(cudaSetDevice(dev));
    }
};

__global__ void fill_partial_kernel(float * out, float * lse, int64_t n_rows, int64_t dv) {
    const int64_t n = n_rows * dv, stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n; e += stride) {
        out[e] = 0.0f;
        if (e < n_rows) lse[e] = -INFINITY;
    }
}

// (0, -inf) for n_rows rows: the merge identity (no key seen yet).
int fill_partial(float * out, float * lse, int64_t n_rows, int64_t dv, cudaStream_t s) {
    if (n_rows == 0) return TFK_OK;
    const int64_t n = n_rows * dv;
    fill_partial_kernel<<<static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535)), kThreads, 0, s>>>(
        out, lse, n_rows, dv);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

// Queries q (rows of chunks qc) against keys/values k, v (rows of chunks kc), on D's compute stream: the merged
// partial over every visible chunk pair into (pout, plse), as attend() of the CPU schedule.
int attend(Dev & D, const float * q, const std::vector<Chunk> & qc, const float * k, const float * v,
           const std::vector<Chunk> & kc, const Shape & s, float * pout, float * plse) {
    TFK_RING_TRY(D.set());
    const cudaStream_t st = D.compute.get();
    TFK_RING_TRY(fill_partial(pout, plse, rows_of(qc) * s.H, s.dv, st));
    int64_t qrow = 0;
    for (const Chunk & a : qc) {
        int64_t krow = 0;
        for (const Chunk & b : kc) {
            const bool visible = !s.causal || b.start <= a.start + a.len - 1;
            if (visible && a.len > 0 && b.len > 0) {
                tfk_block_view bv{};
                bv.head_dim = s.d;
                bv.head_dim_v = s.dv;
                bv.n_head = s.H;
                bv.n_head_kv = s.Hkv;
                bv.n_q = a.len;
                bv.n_kv = b.len;
                bv.q = q + qrow * s.H * s.d;
                bv.q_row_stride = s.H * s.d;
                bv.q_head_stride = s.d;
                bv.k = k + krow * s.Hkv * s.d;
                bv.k_row_stride = s.Hkv * s.d;
                bv.k_head_stride = s.d;
                bv.v = v + krow * s.Hkv * s.dv;
                bv.v_row_stride = s.Hkv * s.dv;
                bv.v_head_stride = s.dv;
                bv.causal = s.causal ? 1 : 0;
                bv.q_pos0 = a.start;
                bv.k_pos0 = b.start;
                bv.scale = s.scale;
                TFK_RING_TRY(block_attn_cuda(&bv, D.tmp_out.get(), D.tmp_lse.get(), st));
                TFK_RING_TRY(attn_merge_cuda(pout + qrow * s.H * s.dv, plse + qrow * s.H, D.tmp_out.get(),
                                             D.tmp_lse.get(), a.len * s.H, s.dv, st));
            }
            krow += b.len;
        }
        qrow += a.len;
    }
    return TFK_OK;
}

// Merges a partial (rows of chunks pc, a subset of the device's own chunks) into the device's accumulator.
int merge_into(Dev & D, const std::vector<Chunk> & own, const std::vector<Chunk> & pc, const float * pout,
               const float * plse, const Shape & s) {
    TFK_RING_TRY(D.set());
    int64_t prow = 0;
    for (const Chunk & c : pc) {
        int64_t arow = 0;
        bool found = false;
        for (const Chunk & o : own) {
            if (o.start == c.start && o.len == c.len) {
                found = true;
                break;
            }
            arow += o.len;
        }
        if (!found) return TFK_ERR_INTERNAL;
        TFK_RING_TRY(attn_merge_cuda(D.acc_out.get() + arow * s.H * s.dv, D.acc_lse.get() + arow * s.H,
                                     pout + prow * s.H * s.dv, plse + prow * s.H, c.len * s.H, s.dv, D.compute.get()));
        prow += c.len;
    }
    return TFK_OK;
}

// A message's copy: `floats` floats from device `from` to device `to`, on the sender's link stream.
int copy(const Dev & to, float * dst, const Dev & from, const float * src, int64_t floats) {
    if (floats == 0) return TFK_OK;
    TFK_RING_TRY(from.set());
    TFK_CUDA_CHECK(cudaMemcpyPeerAsync(dst, to.id, src, from.id, static_cast<size_t>(floats) * sizeof(float), from.link.get()));
    return TFK_OK;
}

int record(const Dev & D, const Event & e, bool on_link) {
    TFK_RING_TRY(D.set());
    TFK_CUDA_CHECK(cudaEventRecord(e.get(), on_link ? D.link.get() : D.compute.get()));
    return TFK_OK;
}

int ring_attn_cuda_impl(const tfk_block_view * v, int schedule, int P, float * out, float * lse, tfk_ring_stats * stats) {
    int n_gpu = 0;
    TFK_CUDA_CHECK(cudaGetDeviceCount(&n_gpu));
    if (n_gpu < 1) return TFK_ERR_NO_CUDA;
    DeviceGuard guard;
    TFK_CUDA_CHECK(cudaGetDevice(&guard.dev));

    const int64_t n = v->n_q;
    const Shape s{v->head_dim, v->head_dim_v, v->n_head, v->n_head_kv, v->scale, v->causal != 0};
    const int64_t f = static_cast<int64_t>(sizeof(float));
    // the split, as the CPU schedule makes it: P parts, or 2P zigzag chunks
    std::vector<std::vector<Chunk>> own(static_cast<size_t>(P));
    const int64_t parts = s.causal ? 2 * P : P;
    auto part = [&](int64_t c) { return Chunk{c * n / parts, (c + 1) * n / parts - c * n / parts}; };
    int64_t max_rows = 0;
    for (int r = 0; r < P; ++r) {
        own[static_cast<size_t>(r)].push_back(part(r));
        if (s.causal) own[static_cast<size_t>(r)].push_back(part(2 * P - 1 - r));
        max_rows = std::max(max_rows, rows_of(own[static_cast<size_t>(r)]));
    }
    // home rows packed on the host (alive until the fleet has drained)
    std::vector<std::vector<float>> hq(static_cast<size_t>(P)), hk(static_cast<size_t>(P)), hv(static_cast<size_t>(P));
    for (int r = 0; r < P; ++r)
        for (const Chunk & c : own[static_cast<size_t>(r)])
            for (int64_t i = c.start; i < c.start + c.len; ++i) {
                for (int64_t h = 0; h < s.H; ++h) {
                    const float * x = v->q + i * v->q_row_stride + h * v->q_head_stride;
                    hq[static_cast<size_t>(r)].insert(hq[static_cast<size_t>(r)].end(), x, x + s.d);
                }
                for (int64_t g = 0; g < s.Hkv; ++g) {
                    const float * x = v->k + i * v->k_row_stride + g * v->k_head_stride;
                    const float * y = v->v + i * v->v_row_stride + g * v->v_head_stride;
                    hk[static_cast<size_t>(r)].insert(hk[static_cast<size_t>(r)].end(), x, x + s.d);
                    hv[static_cast<size_t>(r)].insert(hv[static_cast<size_t>(r)].end(), y, y + s.dv);
                }
            }

    const bool spread = n_gpu >= P;  // one GPU per device; else every device on GPU 0
    if (spread)
        for (int i = 0; i < P; ++i)
            for (int j = 0; j < P; ++j) {
                if (i == j) continue;
                int can = 0;
                TFK_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, i, j));
                if (!can) continue;
                TFK_CUDA_CHECK(cudaSetDevice(i));
                // already enabled (it is process-wide and stays on), or refused (e.g. too many peers): either way
                // the copies still work, staged by the runtime when there is no direct path
                if (cudaDeviceEnablePeerAccess(j, 0) != cudaSuccess) (void) cudaGetLastError();
            }

    Fleet fl(P);
    const bool ring = schedule == TFK_RING_ATTENTION;
    for (int r = 0; r < P; ++r) {
        Dev & D = fl[r];
        D.id = spread ? r : 0;
        const int64_t rows = rows_of(own[static_cast<size_t>(r)]);
        TFK_RING_TRY(D.compute.create(D.id));
        TFK_RING_TRY(D.link.create(D.id));
        for (int p = 0; p < 2; ++p) {
            TFK_RING_TRY(D.computed[p].create(D.id));
            TFK_RING_TRY(D.sent[p].create(D.id));
            TFK_RING_TRY(D.psent[p].create(D.id));
            TFK_RING_TRY(D.merged[p].create(D.id));
            if (P > 1) {
                TFK_RING_TRY(D.in_a[p].alloc(D.id, max_rows * (ring ? s.Hkv : s.H) * s.d));
                if (ring) TFK_RING_TRY(D.in_b[p].alloc(D.id, max_rows * s.Hkv * s.dv));
            }
            if (p == 0 || !ring) {
                TFK_RING_TRY(D.part_out[p].alloc(D.id, max_rows * s.H * s.dv));
                TFK_RING_TRY(D.part_lse[p].alloc(D.id, max_rows * s.H));
            }
            if (!ring && P > 1) {
                TFK_RING_TRY(D.recv_out[p].alloc(D.id, max_rows * s.H * s.dv));
                TFK_RING_TRY(D.recv_lse[p].alloc(D.id, max_rows * s.H));
            }
        }
        TFK_RING_TRY(D.q.alloc(D.id, rows * s.H * s.d));
        TFK_RING_TRY(D.k.alloc(D.id, rows * s.Hkv * s.d));
        TFK_RING_TRY(D.v.alloc(D.id, rows * s.Hkv * s.dv));
        TFK_RING_TRY(D.acc_out.alloc(D.id, rows * s.H * s.dv));
        TFK_RING_TRY(D.acc_lse.alloc(D.id, rows * s.H));
        TFK_RING_TRY(D.tmp_out.alloc(D.id, max_rows * s.H * s.dv));
        TFK_RING_TRY(D.tmp_lse.alloc(D.id, max_rows * s.H));
        TFK_RING_TRY(D.set());
        const cudaStream_t st = D.compute.get();
        if (rows > 0) {
            TFK_CUDA_CHECK(cudaMemcpyAsync(D.q.get(), hq[static_cast<size_t>(r)].data(), hq[static_cast<size_t>(r)].size() * sizeof(float), cudaMemcpyHostToDevice, st));
            TFK_CUDA_CHECK(cudaMemcpyAsync(D.k.get(), hk[static_cast<size_t>(r)].data(), hk[static_cast<size_t>(r)].size() * sizeof(float), cudaMemcpyHostToDevice, st));
            TFK_CUDA_CHECK(cudaMemcpyAsync(D.v.get(), hv[static_cast<size_t>(r)].data(), hv[static_cast<size_t>(r)].size() * sizeof(float), cudaMemcpyHostToDevice, st));
        }
        TFK_RING_TRY(fill_partial(D.acc_out.get(), D.acc_lse.get(), rows * s.H, s.dv, st));
        // the link stream reads home rows (step 0's sends): after the upload
        TFK_RING_TRY(record(D, D.computed[1], false));
        TFK_RING_TRY(D.link_wait(D.computed[1]));
    }

    tfk_ring_stats st{};
    if (ring) {
        // kvc[r]: the chunks of the key/value block device r holds this step (at step s: device r - s's)
        std::vector<std::vector<Chunk>> kvc = own;
        for (int step = 0; step < P; ++step) {
            const int cur = step % 2, prev = (step + 1) % 2;
            auto k_of = [&](int r) { return step == 0 ? fl[r].k.get() : fl[r].in_a[cur].get(); };
            auto v_of = [&](int r) { return step == 0 ? fl[r].v.get() : fl[r].in_b[cur].get(); };
            // sends first: each block moves on to r + 1 while r computes on it
            if (step + 1 < P)
                for (int r = 0; r < P; ++r) {
                    const int to = (r + 1) % P, from = (r + P - 1) % P;
                    Dev & A = fl[r];
                    Dev & B = fl[to];
                    if (step > 0) {
                        TFK_RING_TRY(A.link_wait(fl[from].sent[prev]));  // A's block has arrived
                        TFK_RING_TRY(A.link_wait(B.computed[prev]));     // B is done with the slot: as input...
                        TFK_RING_TRY(A.link_wait(B.sent[prev]));         // ...and as the source of its last send
                    }
                    const int64_t rows = rows_of(kvc[static_cast<size_t>(r)]);
                    st.kv_messages++;
                    st.kv_bytes += rows * s.Hkv * (s.d + s.dv) * f;
                    TFK_RING_TRY(copy(B, B.in_a[1 - cur].get(), A, k_of(r), rows * s.Hkv * s.d));
                    TFK_RING_TRY(copy(B, B.in_b[1 - cur].get(), A, v_of(r), rows * s.Hkv * s.dv));
                    TFK_RING_TRY(record(A, A.sent[cur], true));
                }
            for (int r = 0; r < P; ++r) {
                Dev & A = fl[r];
                TFK_RING_TRY(A.set());
                if (step > 0) TFK_RING_TRY(A.wait(fl[(r + P - 1) % P].sent[prev]));
                const std::vector<Chunk> & mine = own[static_cast<size_t>(r)];
                TFK_RING_TRY(attend(A, A.q.get(), mine, k_of(r), v_of(r), kvc[static_cast<size_t>(r)], s,
                                    A.part_out[0].get(), A.part_lse[0].get()));
                TFK_RING_TRY(merge_into(A, mine, mine, A.part_out[0].get(), A.part_lse[0].get(), s));
                TFK_RING_TRY(record(A, A.computed[cur], false));
            }
            std::vector<std::vector<Chunk>> next(static_cast<size_t>(P));
            for (int r = 0; r < P; ++r) next[static_cast<size_t>((r + 1) % P)] = kvc[static_cast<size_t>(r)];
            kvc.swap(next);
        }
    } else {
        // qc[r]: the chunks of the query block device r holds this step (origin (r + step) % P); they move r -> r - 1.
        // owner_in[o]: the chunks of the partial owner o received this step (merged one step later, after its
        // compute, so receiving never holds up computing).
        std::vector<std::vector<Chunk>> qc = own, owner_in(static_cast<size_t>(P));
        auto merge_received = [&](int step) -> int {  // the partials sent at `step`
            const int p = step % 2;
            for (int o = 0; o < P; ++o) {
                const int r = (o + P - step % P) % P;  // the sender
                if (r == o) continue;
                Dev & O = fl[o];
                TFK_RING_TRY(O.set());
                TFK_RING_TRY(O.wait(fl[r].psent[p]));
                TFK_RING_TRY(merge_into(O, own[static_cast<size_t>(o)], owner_in[static_cast<size_t>(o)],
                                        O.recv_out[p].get(), O.recv_lse[p].get(), s));
                TFK_RING_TRY(record(O, O.merged[p], false));
            }
            return TFK_OK;
        };
        for (int step = 0; step < P; ++step) {
            const int cur = step % 2, prev = (step + 1) % 2;
            auto q_of = [&](int r) { return step == 0 ? fl[r].q.get() : fl[r].in_a[cur].get(); };
            std::vector<std::vector<Chunk>> next(static_cast<size_t>(P));
            if (step + 1 < P)
                for (int r = 0; r < P; ++r) {
                    const int o = (r + step) % P, to = (r + P - 1) % P;
                    Dev & A = fl[r];
                    Dev & B = fl[to];
                    // causal: once the block has wrapped past device 0 (to > o), the origin's first chunk sees
                    // nothing more (every later holder's keys come after it)
                    std::vector<Chunk> travel;
                    std::vector<int64_t> at;  // row of each travelling chunk in A's block
                    int64_t row = 0;
                    for (const Chunk & c : qc[static_cast<size_t>(r)]) {
                        if (!(s.causal && to > o && c.start == part(o).start)) {
                            travel.push_back(c);
                            at.push_back(row);
                        }
                        row += c.len;
                    }
                    if (travel.empty()) continue;
                    if (step > 0) {
                        TFK_RING_TRY(A.link_wait(fl[(r + 1) % P].sent[prev]));  // A's block has arrived
                        TFK_RING_TRY(A.link_wait(B.computed[prev]));
                        TFK_RING_TRY(A.link_wait(B.sent[prev]));
                    }
                    st.q_messages++;
                    st.q_bytes += rows_of(travel) * s.H * s.d * f;
                    int64_t dst_row = 0;
                    for (size_t c = 0; c < travel.size(); ++c) {
                        TFK_RING_TRY(copy(B, B.in_a[1 - cur].get() + dst_row * s.H * s.d, A,
                                          q_of(r) + at[c] * s.H * s.d, travel[c].len * s.H * s.d));
                        dst_row += travel[c].len;
                    }
                    TFK_RING_TRY(record(A, A.sent[cur], true));
                    next[static_cast<size_t>(to)] = std::move(travel);
                }
            for (int r = 0; r < P; ++r) {
                Dev & A = fl[r];
                TFK_RING_TRY(A.set());
                if (step > 0) TFK_RING_TRY(A.wait(fl[(r + 1) % P].sent[prev]));  // the query block has arrived
                if (step > 1) TFK_RING_TRY(A.wait(A.psent[cur]));                // the slot's last partial is out
                TFK_RING_TRY(attend(A, q_of(r), qc[static_cast<size_t>(r)], A.k.get(), A.v.get(),
                                    own[static_cast<size_t>(r)], s, A.part_out[cur].get(), A.part_lse[cur].get()));
                TFK_RING_TRY(record(A, A.computed[cur], false));
            }
            if (step > 0) TFK_RING_TRY(merge_received(step - 1));
            // partials straight back to their owners
            for (int r = 0; r < P; ++r) {
                const int o = (r + step) % P;
                Dev & A = fl[r];
                const std::vector<Chunk> & pc = qc[static_cast<size_t>(r)];
                if (o == r) {
                    if (!pc.empty())
                        TFK_RING_TRY(merge_into(A, own[static_cast<size_t>(r)], pc, A.part_out[cur].get(),
                                                A.part_lse[cur].get(), s));
                    continue;
                }
                Dev & O = fl[o];
                const int64_t rows = rows_of(pc);
                st.out_messages++;
                st.out_bytes += rows * s.H * (s.dv + 1) * f;
                TFK_RING_TRY(A.link_wait(A.computed[cur]));
                if (step > 1) TFK_RING_TRY(A.link_wait(O.merged[cur]));  // O has merged what the slot held
                TFK_RING_TRY(copy(O, O.recv_out[cur].get(), A, A.part_out[cur].get(), rows * s.H * s.dv));
                TFK_RING_TRY(copy(O, O.recv_lse[cur].get(), A, A.part_lse[cur].get(), rows * s.H));
                TFK_RING_TRY(record(A, A.psent[cur], true));
                owner_in[static_cast<size_t>(o)] = pc;
            }
            if (step + 1 < P) qc.swap(next);
        }
        if (P > 1) TFK_RING_TRY(merge_received(P - 1));
    }

    // un-zigzag: every device's rows back to sequence order
    for (int r = 0; r < P; ++r) {
        Dev & A = fl[r];
        TFK_RING_TRY(A.set());
        int64_t row = 0;
        for (const Chunk & c : own[static_cast<size_t>(r)]) {
            if (c.len == 0) continue;
            TFK_CUDA_CHECK(cudaMemcpyAsync(out + c.start * s.H * s.dv, A.acc_out.get() + row * s.H * s.dv,
                                           static_cast<size_t>(c.len * s.H * s.dv) * sizeof(float), cudaMemcpyDeviceToHost, A.compute.get()));
            TFK_CUDA_CHECK(cudaMemcpyAsync(lse + c.start * s.H, A.acc_lse.get() + row * s.H,
                                           static_cast<size_t>(c.len * s.H) * sizeof(float), cudaMemcpyDeviceToHost, A.compute.get()));
            row += c.len;
        }
    }
    TFK_CUDA_CHECK(fl.drain());
    if (stats != nullptr) {
        *stats = st;
        stats->steps = P;
    }
    return TFK_OK;
}

} // namespace

int ring_attn_cuda(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                   tfk_ring_stats * stats) noexcept {
    const int rc = detail::ring_validate(v, schedule, n_devices, out, lse);
    if (rc != TFK_OK) return rc;
    try {
        return ring_attn_cuda_impl(v, schedule, n_devices, out, lse, stats);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
}

} // namespace tfk
