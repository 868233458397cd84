package io.tokenflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * TokenRing vs Ring-Attention, <b>projected</b> (ALGORITHMS.md section 11; issue 15): a cost model of one attention
 * layer's sequence-parallel prefill over P devices. The schedule is replayed step by step exactly as {@code
 * tfk_ring_attn} runs it (zigzag split into 2P chunks when causal, the same chunks attended, the same messages sent),
 * so every step's FLOPs (4 x visible (query, key) pairs x d x heads, the busiest device) and every message's bytes are
 * exact; time comes from assumed device throughputs and link parameters:
 *
 * <ul>
 *   <li>compute(step) = FLOPs of the busiest device / device throughput;
 *   <li>a message takes bytes / bandwidth + latency (bandwidth per link direction);
 *   <li>Ring-Attention step = max(compute, K/V block to the next device) (the transfer of the block for step s + 1
 *       overlaps step s), and a no-overlap variant compute + transfer;
 *   <li>TokenRing step (pipelined as in section 11(c)) = max(compute, Q block forward, partial of step s - 1 back on
 *       the other direction); partials go straight to their owner (mesh reachability, section 11(g)); the last
 *       partial is returned after the loop. A pessimistic variant puts Q and partial on the same egress port.
 * </ul>
 *
 * <p>Before projecting, the model's message counts and bytes are checked against those {@code tfk_ring_bench} counted
 * (f32 values: {@code bench/results/ring_kernels.json}); a mismatch fails the program. The paper's 4xA10 figures are
 * placed next to the model's output for the same setting as a check of the model. Writes OUT_PREFIX.json and
 * OUT_PREFIX.png.
 */
@Command(name = "RingProjection", mixinStandardHelpOptions = true,
        description = {"Projects Ring-Attention vs TokenRing step time (P = 2/4/8, 24k-128k tokens, 7B- and 70B-shaped "
                + "attention) over NVLink 4 / PCIe 4 / PCIe 5 / 100 GbE from a cost model whose byte counts are checked "
                + "against tfk_ring_bench's measured counts; writes OUT_PREFIX.json and OUT_PREFIX.png."})
public final class RingProjection implements Callable<Integer> {
    @Option(names = "--kernels", defaultValue = "bench/results/ring_kernels.json",
            description = "tfk_ring_bench's JSON: measured GFLOP/s of this CPU and counted message bytes (default: ${DEFAULT-VALUE}).")
    private Path kernels;
    @Option(names = "--out-prefix", defaultValue = "bench/results/ring_projection",
            description = "Writes OUT_PREFIX.json and OUT_PREFIX.png (default: ${DEFAULT-VALUE}).")
    private String prefix;

    /** A link: bandwidth per direction (bytes/s) and per-message latency (s). Values: see docs/BENCHMARKS.md 9.2. */
    record Link(String name, double bytesPerS, double latencyS) {}

    /** A device: attention throughput in FLOP/s; assumed = not measured here. */
    record Device(String name, double flops, boolean assumed) {}

    /** Attention shape. */
    record Shape(String name, int heads, int kvHeads, int d) {}

    static final Link[] LINKS = {
        new Link("NVLink 4", 450e9, 3e-6),
        new Link("PCIe 5 x16", 50e9, 5e-6),
        new Link("PCIe 4 x16", 25e9, 5e-6),
        new Link("100 GbE", 11e9, 12e-6),
    };
    static final Shape[] SHAPES = {new Shape("7B", 32, 32, 128), new Shape("70B", 64, 8, 128)};
    static final int[] PS = {2, 4, 8};
    static final int[] LENGTHS = {24_000, 32_768, 65_536, 131_072};
    // A10: 125 TFLOP/s FP16 tensor dense (datasheet); H100 SXM: 989 TFLOP/s FP16 dense (datasheet). Attention kernels
    // reach about half of that in practice (assumption, flash-attention class kernels), so both are halved.
    static final double FA_EFFICIENCY = 0.5;
    static final Device A10 = new Device("A10-class GPU (assumed 125 TFLOP/s x 0.5)", 125e12 * FA_EFFICIENCY, true);
    static final Device H100 = new Device("H100-class GPU (assumed 989 TFLOP/s x 0.5)", 989e12 * FA_EFFICIENCY, true);
    static final int FP16 = 2, F32 = 4, LSE_BYTES = 4;  // projections: fp16 q/k/v/out, fp32 lse (as the reference code)

    // The paper's 4xA10 figures (ALGORITHMS.md 11(e)): 24k tokens, Llama-2-7B attention, PCIe.
    static final double PAPER_TR_Q_ONLY_MS = 3.5, PAPER_TR_Q_OUT_MS = 4.6, PAPER_RA_MS = 7.6;
    static final int PAPER_N = 24_000, PAPER_P = 4;

    /** A panel of the plot: one device, shape and P. The first is the paper's setting. */
    record Panel(Device device, Shape shape, int P, String title) {}

    static final Panel[] PANELS = {
        new Panel(A10, SHAPES[0], 4, "7B-shaped (32/32 heads), P=4, A10-class (assumed)"),
        new Panel(H100, SHAPES[0], 8, "7B-shaped (32/32 heads), P=8, H100-class (assumed)"),
        new Panel(H100, SHAPES[1], 8, "70B-shaped (64/8 heads), P=8, H100-class (assumed)"),
    };

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new RingProjection(), args));
    }

    // ---------------------------------------------------------------- the schedule, replayed exactly

    /** Rows [start, start + len) of the sequence. */
    record Chunk(long start, long len) {}

    /** One step of a schedule: FLOPs of the busiest device, largest message per kind sent during it (bytes). */
    static final class Step {
        double maxFlops;
        long maxKvBytes, maxQBytes, maxOutBytes, maxSumBytes;  // sum: one device's Q + partial on one port
    }

    /** A whole schedule: its steps, the tail (partials returned after the loop), and totals as tfk_ring_stats has them. */
    static final class Schedule {
        final List<Step> steps = new ArrayList<>();
        long tailOutBytes;
        long qMessages, qBytes, kvMessages, kvBytes, outMessages, outBytes;
    }

    static Chunk part(long n, int parts, int c) {
        long a = c * n / parts, b = (c + 1L) * n / parts;
        return new Chunk(a, b - a);
    }

    static long rows(List<Chunk> cs) {
        long r = 0;
        for (Chunk c : cs) r += c.len();
        return r;
    }

    /** Visible (query, key) pairs of query chunks against key chunks (causal: key position <= query position). */
    static double pairs(List<Chunk> qs, List<Chunk> ks, boolean causal) {
        double p = 0;
        for (Chunk q : qs) {
            for (Chunk k : ks) {
                if (!causal) {
                    p += (double) q.len() * k.len();
                    continue;
                }
                // sum over query rows i of clamp(i - k.start + 1, 0, k.len): a ramp, then a plateau
                long lo = q.start(), hi = q.start() + q.len() - 1;
                long a = Math.max(lo, k.start()), b = Math.min(hi, k.start() + k.len() - 1);  // ramp rows
                if (b >= a) p += (double) (b - a + 1) * (a - k.start() + 1 + b - k.start() + 1) / 2.0;
                long plateauFrom = Math.max(lo, k.start() + k.len());
                if (hi >= plateauFrom) p += (double) (hi - plateauFrom + 1) * k.len();
            }
        }
        return p;
    }

    /**
     * Replays tfk_ring_attn's schedule (cpp-kernels/src/cpu/ring_attn.cpp) for n rows over P devices. elem: bytes
     * per q/k/v/out value; lse: bytes per lse value. Message bytes are those its Link counts (with elem = lse = 4).
     */
    static Schedule replay(boolean tokenRing, long n, int P, boolean causal, Shape s, int elem, int lse) {
        int parts = causal ? 2 * P : P;
        List<List<Chunk>> own = new ArrayList<>();
        for (int r = 0; r < P; r++) {
            List<Chunk> cs = new ArrayList<>();
            cs.add(part(n, parts, r));
            if (causal) cs.add(part(n, parts, 2 * P - 1 - r));
            own.add(cs);
        }
        double flopsPerPair = 4.0 * s.d() * s.heads();
        long qRowBytes = (long) s.heads() * s.d() * elem, kvRowBytes = (long) s.kvHeads() * 2 * s.d() * elem;
        long outRowBytes = (long) s.heads() * ((long) s.d() * elem + lse);
        Schedule sc = new Schedule();
        if (!tokenRing) {
            for (int step = 0; step < P; step++) {
                Step st = new Step();
                for (int r = 0; r < P; r++) {
                    List<Chunk> kv = own.get(Math.floorMod(r - step, P));  // device r holds device (r - step)'s K/V
                    st.maxFlops = Math.max(st.maxFlops, pairs(own.get(r), kv, causal) * flopsPerPair);
                    if (step + 1 < P) {
                        long b = rows(kv) * kvRowBytes;
                        sc.kvMessages++;
                        sc.kvBytes += b;
                        st.maxKvBytes = Math.max(st.maxKvBytes, b);
                    }
                }
                sc.steps.add(st);
            }
            return sc;
        }
        // TokenRing: device r holds, at step s, the queries of origin (r + s) % P; they move r -> r - 1.
        List<List<Chunk>> q = new ArrayList<>(own);
        long[] prevOut = new long[P];  // partial computed in the previous step by device r, bytes (0: local or none)
        for (int step = 0; step < P; step++) {
            Step st = new Step();
            long[] out = new long[P];
            List<List<Chunk>> next = new ArrayList<>();
            for (int r = 0; r < P; r++) next.add(List.of());
            for (int r = 0; r < P; r++) {
                List<Chunk> held = q.get(r);
                st.maxFlops = Math.max(st.maxFlops, pairs(held, own.get(r), causal) * flopsPerPair);
                int o = (r + step) % P, to = Math.floorMod(r - 1, P);
                if (o != r) {  // counted as the C++ Link counts it (sent in this step there, one step later here)
                    out[r] = rows(held) * outRowBytes;
                    sc.outMessages++;
                    sc.outBytes += out[r];
                }
                long qb = 0;
                if (step + 1 < P) {
                    List<Chunk> travel = new ArrayList<>();
                    for (Chunk c : held)
                        if (!(causal && to > o && c.start() == part(n, parts, o).start())) travel.add(c);
                    if (!travel.isEmpty()) {
                        qb = rows(travel) * qRowBytes;
                        sc.qMessages++;
                        sc.qBytes += qb;
                    }
                    next.set(to, travel);
                }
                // pipelined (section 11(c)): during step s, Q for step s + 1 goes forward and the partial of step
                // s - 1 goes back
                st.maxQBytes = Math.max(st.maxQBytes, qb);
                st.maxOutBytes = Math.max(st.maxOutBytes, prevOut[r]);
                st.maxSumBytes = Math.max(st.maxSumBytes, qb + prevOut[r]);
            }
            sc.steps.add(st);
            prevOut = out;
            if (step + 1 < P) q = next;
        }
        for (long b : prevOut) sc.tailOutBytes = Math.max(sc.tailOutBytes, b);
        return sc;
    }

    // ---------------------------------------------------------------- time

    static double xfer(long bytes, Link l) {
        return bytes == 0 ? 0 : bytes / l.bytesPerS() + l.latencyS();
    }

    /** Mean step time (total / P) and its parts, seconds. variant: 0 overlap (both), 1 no overlap (RA) / one port (TR). */
    record Timing(double meanStep, double total, double meanCompute, double qOnlyComm, double qOutComm, double kvComm) {}

    static Timing time(Schedule sc, boolean tokenRing, Device dev, Link l, int variant) {
        double total = 0, compute = 0, qOnly = 0, qOut = 0, kv = 0;
        int nQOnly = 0, nQOut = 0, nKv = 0;
        for (Step st : sc.steps) {
            double c = st.maxFlops / dev.flops();
            compute += c;
            if (!tokenRing) {
                double t = xfer(st.maxKvBytes, l);
                total += variant == 0 ? Math.max(c, t) : c + t;
                if (st.maxKvBytes > 0) {
                    kv += t;
                    nKv++;
                }
            } else {
                double tq = xfer(st.maxQBytes, l), to = xfer(st.maxOutBytes, l);
                double comm = variant == 0 ? Math.max(tq, to) : xfer(st.maxSumBytes, l);
                total += Math.max(c, comm);
                if (st.maxQBytes > 0 && st.maxOutBytes == 0) {
                    qOnly += comm;
                    nQOnly++;
                } else if (st.maxQBytes > 0) {
                    qOut += comm;
                    nQOut++;
                }
            }
        }
        total += xfer(sc.tailOutBytes, l);  // nothing left to overlap the last return with
        int P = sc.steps.size();
        return new Timing(total / P, total, compute / P, nQOnly == 0 ? Double.NaN : qOnly / nQOnly,
                nQOut == 0 ? Double.NaN : qOut / nQOut, nKv == 0 ? Double.NaN : kv / nKv);
    }

    // ---------------------------------------------------------------- the program

    @Override
    public Integer call() throws IOException {
        JsonNode k = new ObjectMapper().readTree(kernels.toFile());
        String cpuName = k.path("machine").path("cpu").asText();
        // this CPU: the measured 2-thread block-attention throughput on the bench's largest block (closest to a ring
        // step's block; small blocks are faster per FLOP but no ring step is that small)
        double cpuFlops = 0, biggest = 0;
        String cpuShape = "";
        for (JsonNode b : k.path("block_attn")) {
            if (b.path("method").asText().equals("cpu") && b.path("threads").asInt() == 2 && b.path("gflop").asDouble() > biggest) {
                biggest = b.path("gflop").asDouble();
                cpuFlops = b.path("gflops").asDouble() * 1e9;
                cpuShape = b.path("n_q").asInt() + "x" + b.path("n_kv").asInt() + " H" + b.path("n_head").asInt() + "/"
                        + b.path("n_head_kv").asInt() + (b.path("causal").asBoolean() ? " causal" : "");
            }
        }
        if (cpuFlops <= 0) throw new IllegalStateException(kernels + ": no 2-thread tfk_block_attn row");
        Device cpu = new Device("this CPU (measured " + String.format(Locale.ROOT, "%.1f", cpuFlops / 1e9)
                + " GFLOP/s, 2 threads, " + cpuShape + ")", cpuFlops, false);

        crossCheck(k.path("ring"));

        StringBuilder json = new StringBuilder();
        json.append(String.format(Locale.ROOT, "{\"program\":\"RingProjection\",\"kernels\":\"%s\",\"measured_cpu\":{\"cpu\":\"%s\","
                + "\"gflops_2threads\":%.3f,\"shape\":\"%s\"},\"byte_counts_match_tfk_ring_bench\":true,", kernels, cpuName,
                cpuFlops / 1e9, cpuShape));
        json.append("\"assumptions\":{\"fa_efficiency\":").append(FA_EFFICIENCY)
                .append(",\"value_bytes\":").append(FP16).append(",\"lse_bytes\":").append(LSE_BYTES)
                .append(",\"devices\":[");
        Device[] devices = {A10, H100, cpu};
        for (int i = 0; i < devices.length; i++)
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"name\":\"%s\",\"tflops\":%.4f,\"assumed\":%b}",
                    devices[i].name(), devices[i].flops() / 1e12, devices[i].assumed()));
        json.append("],\"links\":[");
        for (int i = 0; i < LINKS.length; i++)
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"name\":\"%s\",\"gb_per_s_per_direction\":%.1f,\"latency_us\":%.1f}",
                    LINKS[i].name(), LINKS[i].bytesPerS() / 1e9, LINKS[i].latencyS() * 1e6));
        json.append("]},\"projections\":[");

        // plot series: [panel][link*2 + schedule][length]
        double[][][] plot = new double[PANELS.length][LINKS.length * 2][LENGTHS.length];
        boolean first = true;
        for (Device dev : devices) {
            System.out.printf(Locale.ROOT, "%n### %s: mean step time (ms), causal zigzag, fp16; RA = Ring-Attention, TR = TokenRing, RA/TR > 1: TokenRing faster%n%n", dev.name());
            StringBuilder head = new StringBuilder("| shape | P | tokens | compute/step |");
            StringBuilder sep = new StringBuilder("|---|---:|---:|---:|");
            for (Link l : LINKS) {
                head.append(" ").append(l.name()).append(" RA | TR | RA/TR |");
                sep.append("---:|---:|---:|");
            }
            if (!dev.assumed()) System.out.println("(P = 4 rows only; the JSON has all)\n");
            System.out.println(head);
            System.out.println(sep);
            for (Shape s : SHAPES) {
                for (int P : PS) {
                    for (int li = 0; li < LENGTHS.length; li++) {
                        int n = LENGTHS[li];
                        Schedule ra = replay(false, n, P, true, s, FP16, LSE_BYTES);
                        Schedule tr = replay(true, n, P, true, s, FP16, LSE_BYTES);
                        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %d | %d |", s.name(), P, n));
                        boolean firstLink = true;
                        for (int L = 0; L < LINKS.length; L++) {
                            Link l = LINKS[L];
                            Timing raT = time(ra, false, dev, l, 0), raSer = time(ra, false, dev, l, 1);
                            Timing trT = time(tr, true, dev, l, 0), trPort = time(tr, true, dev, l, 1);
                            if (firstLink) row.append(String.format(Locale.ROOT, " %s |", ms(raT.meanCompute())));
                            firstLink = false;
                            row.append(String.format(Locale.ROOT, " %s | %s | %.2fx |", ms(raT.meanStep()), ms(trT.meanStep()),
                                    raT.meanStep() / trT.meanStep()));
                            json.append(first ? "" : ",").append(String.format(Locale.ROOT,
                                    "{\"device\":\"%s\",\"shape\":\"%s\",\"heads\":%d,\"kv_heads\":%d,\"d\":%d,\"P\":%d,\"tokens\":%d,"
                                            + "\"link\":\"%s\",\"compute_per_step_ms\":%.5f,\"ring_attention_step_ms\":%.5f,"
                                            + "\"ring_attention_no_overlap_step_ms\":%.5f,\"ring_attention_kv_comm_ms\":%.5f,"
                                            + "\"token_ring_step_ms\":%.5f,\"token_ring_one_port_step_ms\":%.5f,"
                                            + "\"token_ring_q_only_comm_ms\":%s,\"token_ring_q_out_comm_ms\":%s,"
                                            + "\"kv_bytes_total\":%d,\"q_bytes_total\":%d,\"out_bytes_total\":%d}",
                                    dev.name(), s.name(), s.heads(), s.kvHeads(), s.d(), P, n, l.name(), raT.meanCompute() * 1e3,
                                    raT.meanStep() * 1e3, raSer.meanStep() * 1e3, raT.kvComm() * 1e3, trT.meanStep() * 1e3,
                                    trPort.meanStep() * 1e3, jnum(trT.qOnlyComm() * 1e3), jnum(trT.qOutComm() * 1e3),
                                    ra.kvBytes, tr.qBytes, tr.outBytes));
                            first = false;
                            for (int pi = 0; pi < PANELS.length; pi++) {
                                if (PANELS[pi].device() == dev && PANELS[pi].shape() == s && PANELS[pi].P() == P) {
                                    plot[pi][2 * L][li] = raT.meanStep() * 1e3;
                                    plot[pi][2 * L + 1][li] = trT.meanStep() * 1e3;
                                }
                            }
                        }
                        if (dev.assumed() || P == 4) System.out.println(row);  // CPU: every link gives ~ compute
                    }
                }
            }
        }
        json.append("],");

        // the paper's setting, as the model sees it
        Shape llama7b = SHAPES[0];
        Schedule ra = replay(false, PAPER_N, PAPER_P, true, llama7b, FP16, LSE_BYTES);
        Schedule tr = replay(true, PAPER_N, PAPER_P, true, llama7b, FP16, LSE_BYTES);
        Link pcie4 = LINKS[2];
        long kvStepBytes = ra.steps.get(0).maxKvBytes;
        // the bandwidth the paper's own Ring-Attention step implies if that step is pure K/V transfer
        Link implied = new Link("PCIe implied by paper RA step", kvStepBytes / (PAPER_RA_MS * 1e-3 - pcie4.latencyS()), pcie4.latencyS());
        System.out.printf(Locale.ROOT, "%n### Check against the paper: 4xA10, %d tokens, Llama-2-7B attention (32/32 heads, d 128), causal zigzag, fp16%n%n",
                PAPER_N);
        System.out.println("| link in the model | compute/step | RA K/V comm | RA step | TR Q-only comm | TR Q-only step | TR Q+out comm | TR Q+out step | TR Q+out comm, one port |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        json.append("\"paper_check\":{\"paper_ms\":{\"token_ring_q_only\":").append(PAPER_TR_Q_ONLY_MS)
                .append(",\"token_ring_q_out\":").append(PAPER_TR_Q_OUT_MS).append(",\"ring_attention\":").append(PAPER_RA_MS)
                .append(String.format(Locale.ROOT, "},\"kv_block_bytes\":%d,\"q_block_bytes_max\":%d,\"model\":[", kvStepBytes,
                        tr.steps.get(0).maxQBytes));
        double[] paperPointModel = new double[3], impliedComm = new double[3];
        Link[] checkLinks = {pcie4, implied};
        for (int i = 0; i < checkLinks.length; i++) {
            Link l = checkLinks[i];
            Timing raT = time(ra, false, A10, l, 0);
            Timing trT = time(tr, true, A10, l, 0), trPort = time(tr, true, A10, l, 1);
            double c = raT.meanCompute();
            double qOnlyStep = Math.max(c, trT.qOnlyComm()), qOutStep = Math.max(c, trT.qOutComm()), raStep = Math.max(c, raT.kvComm());
            System.out.printf(Locale.ROOT, "| %s (%.1f GB/s) | %s | %s | %s | %s | %s | %s | %s | %s |%n", l.name(), l.bytesPerS() / 1e9,
                    ms(c), ms(raT.kvComm()), ms(raStep), ms(trT.qOnlyComm()), ms(qOnlyStep), ms(trT.qOutComm()), ms(qOutStep),
                    ms(trPort.qOutComm()));
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"link\":\"%s\",\"gb_per_s\":%.3f,\"compute_per_step_ms\":%.4f,\"ra_kv_comm_ms\":%.4f,\"ra_step_ms\":%.4f,"
                            + "\"tr_q_only_comm_ms\":%.4f,\"tr_q_only_step_ms\":%.4f,\"tr_q_out_comm_ms\":%.4f,\"tr_q_out_step_ms\":%.4f,"
                            + "\"tr_q_out_comm_one_port_ms\":%.4f}",
                    l.name(), l.bytesPerS() / 1e9, c * 1e3, raT.kvComm() * 1e3, raStep * 1e3, trT.qOnlyComm() * 1e3,
                    qOnlyStep * 1e3, trT.qOutComm() * 1e3, qOutStep * 1e3, trPort.qOutComm() * 1e3));
            if (i == 0) paperPointModel = new double[] {qOnlyStep * 1e3, qOutStep * 1e3, raStep * 1e3};
            else impliedComm = new double[] {trT.qOnlyComm() * 1e3, trT.qOutComm() * 1e3, trPort.qOutComm() * 1e3};
        }
        System.out.printf(Locale.ROOT, "%npaper: TokenRing %.1f ms (Q-only steps) / %.1f ms (Q+out steps), Ring-Attention %.1f ms per step%n",
                PAPER_TR_Q_ONLY_MS, PAPER_TR_Q_OUT_MS, PAPER_RA_MS);
        System.out.printf(Locale.ROOT, "model at PCIe 4 x16 %.0f GB/s: %.2f / %.2f / %.2f ms (ratio model/paper %.2f / %.2f / %.2f)%n",
                pcie4.bytesPerS() / 1e9, paperPointModel[0], paperPointModel[1], paperPointModel[2],
                paperPointModel[0] / PAPER_TR_Q_ONLY_MS, paperPointModel[1] / PAPER_TR_Q_OUT_MS, paperPointModel[2] / PAPER_RA_MS);
        System.out.printf(Locale.ROOT, "model at the bandwidth the paper's RA step implies (%.1f GB/s, fitted to RA): TokenRing "
                + "communication %.2f ms (Q-only) vs paper %.1f (ratio %.2f); %.2f ms (Q+out, both directions) / %.2f ms (Q+out, one "
                + "port) vs paper %.1f%n", implied.bytesPerS() / 1e9, impliedComm[0], PAPER_TR_Q_ONLY_MS,
                impliedComm[0] / PAPER_TR_Q_ONLY_MS, impliedComm[1], impliedComm[2], PAPER_TR_Q_OUT_MS);
        json.append("]}}\n");

        Path jsonOut = Path.of(prefix + ".json");
        BenchCommand.writeAtomically(jsonOut, json);
        Path png = Path.of(prefix + ".png");
        drawPlot(png, plot);
        System.out.println("\nwrote " + jsonOut + " and " + png);
        return 0;
    }

    /** The model's byte and message counts for tfk_ring_bench's runs (f32) must equal what its Link counted. */
    static void crossCheck(JsonNode ring) {
        long n = ring.path("n").asLong();
        Shape s = new Shape("bench", ring.path("n_head").asInt(), ring.path("n_head_kv").asInt(), ring.path("d").asInt());
        boolean causal = ring.path("causal").asBoolean();
        int checked = 0;
        for (JsonNode r : ring.path("runs")) {
            boolean tokenRing = r.path("schedule").asText().equals("token_ring");
            int P = r.path("P").asInt();
            Schedule sc = replay(tokenRing, n, P, causal, s, F32, F32);
            long[] model = {P, sc.qMessages, sc.qBytes, sc.kvMessages, sc.kvBytes, sc.outMessages, sc.outBytes};
            String[] keys = {"steps", "q_messages", "q_bytes", "kv_messages", "kv_bytes", "out_messages", "out_bytes"};
            for (int i = 0; i < keys.length; i++) {
                if (r.path(keys[i]).asLong(-1) != model[i])
                    throw new IllegalStateException(String.format(Locale.ROOT, "%s P=%d %s: model %d, tfk_ring_bench counted %d",
                            r.path("schedule").asText(), P, keys[i], model[i], r.path(keys[i]).asLong(-1)));
            }
            checked++;
        }
        if (checked == 0) throw new IllegalStateException("no ring runs to check the byte model against");
        System.out.printf(Locale.ROOT, "byte model: %d runs of tfk_ring_bench (n=%d, causal=%b), messages and bytes equal the counted ones%n",
                checked, n, causal);
    }

    static String ms(double s) {
        double m = s * 1e3;
        return Double.isNaN(m) ? "-" : m >= 100 ? String.format(Locale.ROOT, "%.0f", m)
                : m >= 10 ? String.format(Locale.ROOT, "%.1f", m) : String.format(Locale.ROOT, "%.2f", m);
    }

    static String jnum(double x) {
        return Double.isNaN(x) ? "null" : String.format(Locale.ROOT, "%.5f", x);
    }

    // ---------------------------------------------------------------- plot

    /**
     * One panel per {@link #PANELS} entry, mean step time (log scale) vs tokens; the first is the paper's setting, its
     * three figures marked at 24k. Colour = link; solid = TokenRing, dashed = Ring-Attention.
     */
    static void drawPlot(Path png, double[][][] y) throws IOException {
        int panelW = 400, gap = 110, top = 70, ph = 440, bottom = top + ph;
        int w = 90 + PANELS.length * (panelW + gap), h = 620;
        Color[] colors = {new Color(31, 119, 180), new Color(44, 160, 44), new Color(255, 127, 14), new Color(214, 39, 40)};
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("PROJECTED mean step time of one attention layer: Ring-Attention (dashed) vs TokenRing (solid), causal zigzag, fp16",
                80, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int p = 0; p < PANELS.length; p++) {
            double lo = Double.MAX_VALUE, hi = 0;
            for (double[] s : y[p]) for (double v : s) if (v > 0) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (p == 0) {
                lo = Math.min(lo, PAPER_TR_Q_ONLY_MS);
                hi = Math.max(hi, PAPER_RA_MS);
            }
            double lmin = Math.floor(Math.log10(lo)), lmax = Math.ceil(Math.log10(hi));
            int left = 90 + p * (panelW + gap);
            java.util.function.DoubleToIntFunction yAt = v -> bottom - (int) Math.round(ph * (Math.log10(v) - lmin) / (lmax - lmin));
            java.util.function.IntUnaryOperator xAt = i -> left + 30 + (panelW - 60) * i / (LENGTHS.length - 1);
            g.setColor(Color.BLACK);
            g.drawString(PANELS[p].title(), left, top - 12);
            g.drawLine(left, bottom, left + panelW, bottom);
            g.drawLine(left, top, left, bottom);
            for (int e = (int) lmin; e <= (int) lmax; e++) {
                for (int m = 1; m < 10; m++) {
                    double v = m * Math.pow(10, e);
                    if (Math.log10(v) > lmax + 1e-9) break;
                    int yy = yAt.applyAsInt(v);
                    g.setColor(m == 1 ? Color.GRAY : new Color(225, 225, 225));
                    g.drawLine(left + 1, yy, left + panelW, yy);
                    if (m == 1) {
                        g.setColor(Color.BLACK);
                        g.drawString(v >= 1 ? String.format(Locale.ROOT, "%.0f ms", v) : String.format(Locale.ROOT, "%s ms", v), left - 70, yy + 5);
                    }
                }
            }
            g.setColor(Color.BLACK);
            for (int i = 0; i < LENGTHS.length; i++) {
                int x = xAt.applyAsInt(i);
                g.drawLine(x, bottom, x, bottom + 5);
                String lab = LENGTHS[i] % 1000 == 0 ? LENGTHS[i] / 1000 + "k" : LENGTHS[i] / 1024 + "Ki";
                g.drawString(lab, x - 10, bottom + 20);
            }
            g.drawString("sequence length (tokens)", left + panelW / 2 - 70, bottom + 40);
            for (int L = 0; L < LINKS.length; L++) {
                for (int sch = 0; sch < 2; sch++) {
                    g.setColor(colors[L]);
                    g.setStroke(sch == 0 ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f)
                            : new BasicStroke(2.5f));
                    double[] s = y[p][2 * L + sch];
                    for (int i = 0; i < LENGTHS.length; i++) {
                        int x0 = xAt.applyAsInt(i), y0 = yAt.applyAsInt(s[i]);
                        g.fillOval(x0 - 3, y0 - 3, 7, 7);
                        if (i + 1 < LENGTHS.length) g.drawLine(x0, y0, xAt.applyAsInt(i + 1), yAt.applyAsInt(s[i + 1]));
                    }
                }
            }
            g.setStroke(new BasicStroke(1f));
            if (p == 0) {  // the paper's measured 4xA10 figures, at 24k
                int x = xAt.applyAsInt(0);
                double[] pv = {PAPER_TR_Q_ONLY_MS, PAPER_TR_Q_OUT_MS, PAPER_RA_MS};
                String[] pl = {"paper TR Q-only 3.5", "paper TR Q+out 4.6", "paper RA 7.6"};
                g.setColor(Color.BLACK);
                for (int i = 0; i < 3; i++) {
                    int yy = yAt.applyAsInt(pv[i]);
                    int[] xs = {x - 7, x + 7, x}, ys = {yy + 6, yy + 6, yy - 7};
                    g.fillPolygon(xs, ys, 3);
                    g.drawString(pl[i], x + 12, yy + 4 + (i == 0 ? 6 : i == 1 ? -4 : 0));
                }
            }
        }
        // legend
        int lx = 80, ly = h - 45;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int L = 0; L < LINKS.length; L++) {
            g.setColor(colors[L]);
            g.fillRect(lx + 260 * L, ly, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%s (%.0f GB/s, %.0f us)", LINKS[L].name(), LINKS[L].bytesPerS() / 1e9,
                    LINKS[L].latencyS() * 1e6), lx + 260 * L + 20, ly + 12);
        }
        g.drawString("solid: TokenRing, dashed: Ring-Attention, black triangles: paper's measured 4xA10 figures (PCIe)", lx, ly + 32);
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }
}
