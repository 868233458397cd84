package io.tokenflow.internal;

import io.tokenflow.Model;

/**
 * How engines in other packages ({@code io.tokenflow.batch}) reach a {@link Model}'s native handle and its list of
 * native owners without making either public API. {@code Model} installs the bridge when its class initializes,
 * which has happened once any {@code Model} exists.
 */
public final class ModelAccess {
    /** What {@code Model} exposes to the engines. */
    public interface Bridge {
        NativeModel nativeModel(Model model);

        /** Closes {@code owner} when the model closes (first, before the weights go). */
        void register(Model model, AutoCloseable owner);

        void forget(Model model, AutoCloseable owner);
    }

    private static volatile Bridge bridge;

    private ModelAccess() {}

    public static void install(Bridge b) { bridge = b; }

    public static Bridge get() {
        Bridge b = bridge;
        if (b == null) throw new IllegalStateException("no Model class initialized yet");
        return b;
    }
}
