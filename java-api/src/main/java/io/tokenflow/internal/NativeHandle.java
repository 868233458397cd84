package io.tokenflow.internal;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Frees one native object exactly once: on {@link #close()}, or by the {@link Cleaner} when the owning
 * Java object becomes unreachable without being closed (a safety net, not the plan).
 */
public final class NativeHandle implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Releaser releaser;
    private final Cleaner.Cleanable cleanable;

    /** {@code free} must not reference {@code owner}, or the owner never becomes unreachable. */
    public NativeHandle(Object owner, Runnable free) {
        this.releaser = new Releaser(free);
        this.cleanable = CLEANER.register(owner, releaser);
    }

    public boolean isClosed() {
        return releaser.done.get();
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    private static final class Releaser implements Runnable {
        private final AtomicBoolean done = new AtomicBoolean();
        private final Runnable free;

        Releaser(Runnable free) { this.free = free; }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) free.run();
        }
    }
}
