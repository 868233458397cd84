package io.tokenflow;

/**
 * A compute device ggml sees ({@link Tokenflow#devices()}).
 *
 * @param name ggml's name, e.g. {@code "CPU"}, {@code "CUDA0"}, {@code "RPC[127.0.0.1:50052]"}
 * @param description the CPU or GPU model, as its backend reports it
 * @param type what kind of device it is
 * @param memoryFree bytes free when listed (for the CPU: system memory)
 * @param memoryTotal bytes in all
 */
public record Device(String name, String description, Type type, long memoryFree, long memoryTotal) {
    /** ggml's device types. */
    public enum Type {
        CPU, GPU, INTEGRATED_GPU, ACCELERATOR, OTHER;

        static Type of(int code) {
            return switch (code) {
                case 0 -> CPU;
                case 1 -> GPU;
                case 2 -> INTEGRATED_GPU;
                case 3 -> ACCELERATOR;
                default -> OTHER;
            };
        }
    }

    /** Whether layers can be offloaded to it ({@link ModelOptions#gpuLayers()}): a GPU, integrated or not. */
    public boolean offloadable() { return type == Type.GPU || type == Type.INTEGRATED_GPU; }

    /** Internal: from the native code's fields. */
    static Device of(String name, String description, int type, long free, long total) {
        return new Device(name, description, Type.of(type), free, total);
    }

    @Override
    public String toString() {
        return name + " (" + description + ", " + type + ", " + (memoryFree >> 20) + " of " + (memoryTotal >> 20) + " MiB free)";
    }
}
