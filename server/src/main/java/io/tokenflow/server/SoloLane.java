package io.tokenflow.server;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.GenerationStats;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.StopReason;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The solo lane: requests whose options need a llama.cpp context of their own (speculation, KV compression, sparse
 * attention) run one at a time on one worker thread, in a {@link Session} opened with their options (kept open while
 * the next request asks for the same options, so prefixes and what speculation learned carry over). A bounded queue
 * holds the waiting ones; one more is a 429.
 */
final class SoloLane implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SoloLane.class.getName());

    private final Model model;
    private final ServerOptions options;
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    private final Thread worker;
    private Job running;          // guarded by this
    private boolean accepting = true; // guarded by this
    private boolean stopped;      // guarded by this
    private Session session;      // worker thread only
    private SessionOptions sessionOptions;

    private record Job(Generation generation, int[] prompt, GenerationOptions options, SessionOptions sessionOptions) {}

    SoloLane(Model model, ServerOptions options) {
        this.model = model;
        this.options = options;
        this.worker = new Thread(this::work, "tokenflow-solo-lane");
        worker.setDaemon(true);
        worker.start();
    }

    /** The session options a solo request runs with. */
    SessionOptions sessionOptions(io.tokenflow.kv.KvCompression kv, io.tokenflow.sparse.SparseAttention sparse) {
        return SessionOptions.builder().contextSize(options.contextSize()).threads(options.threads()).kvCompression(kv)
                .sparseAttention(sparse).build();
    }

    Generation submit(int[] prompt, GenerationOptions go, SessionOptions so) {
        Generation g = new Generation(Lane.SOLO);
        Job job = new Job(g, prompt.clone(), go, so);
        synchronized (this) {
            if (!accepting) throw ApiException.unavailable("the server is shutting down", "shutting_down");
            if (waiting.size() >= options.queue() && (running != null || !waiting.isEmpty())) {
                throw ApiException.queueFull("solo", options.queue(), 1);
            }
            waiting.add(job);
            notifyAll();
        }
        g.bindCancel(() -> cancel(job));
        return g;
    }

    /** Queued: dropped now (CANCELLED). Running: the session stops within one step. */
    private void cancel(Job job) {
        Session s;
        synchronized (this) {
            if (waiting.remove(job)) {
                job.generation.result().complete(cancelledBeforeStart(job.prompt.length));
                return;
            }
            if (running != job) return;
            s = session;
        }
        if (s != null) s.cancel();
    }

    synchronized int queued() { return waiting.size(); }

    synchronized boolean busy() { return running != null; }

    private void work() {
        while (true) {
            Job job;
            synchronized (this) {
                while (waiting.isEmpty() && !stopped) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (waiting.isEmpty()) break;
                job = waiting.poll();
                running = job;
            }
            try {
                run(job);
            } finally {
                synchronized (this) {
                    running = null;
                    notifyAll();
                }
            }
        }
        closeSession();
    }

    private void run(Job job) {
        Generation g = job.generation;
        if (g.cause() != CancelCause.NONE) {
            g.result().complete(cancelledBeforeStart(job.prompt.length));
            return;
        }
        try {
            if (session == null || !job.sessionOptions.equals(sessionOptions)) {
                closeSession();
                session = model.newSession(job.sessionOptions);
                sessionOptions = job.sessionOptions;
            }
            Session s = session;
            GenerationResult r = s.generate(job.prompt, job.options, (token, text) -> {
                g.offer(token, text, null);
                // a cancel that raced the start of generate() (Session.cancel only acts while it runs) lands here
                if (g.cause() != CancelCause.NONE) s.cancel();
            });
            g.result().complete(r);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "solo generation failed", e);
            g.result().completeExceptionally(e);
        }
    }

    private void closeSession() {
        if (session != null) {
            session.close();
            session = null;
            sessionOptions = null;
        }
    }

    static GenerationResult cancelledBeforeStart(int promptTokens) {
        return new GenerationResult("", new int[0], StopReason.CANCELLED, new GenerationStats(promptTokens, 0, 0, Double.NaN, 0, 0, 0,
                Optional.empty(), Optional.empty(), Optional.empty()));
    }

    /**
     * Stops accepting, drops the queue (CANCELLED), lets the running request finish within {@code grace}, then cancels
     * it. True when nothing had to be cancelled after the grace.
     */
    boolean shutdown(Duration grace) {
        List<Job> dropped;
        synchronized (this) {
            accepting = false;
            dropped = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (Job j : dropped) {
            j.generation.cancel(CancelCause.SHUTDOWN);
            j.generation.result().complete(cancelledBeforeStart(j.prompt.length));
        }
        long deadline = System.nanoTime() + grace.toNanos();
        boolean clean = true;
        synchronized (this) {
            while (running != null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    clean = false;
                    running.generation.cancel(CancelCause.SHUTDOWN);
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            stopped = true;
            notifyAll();
        }
        return clean;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
        try {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
