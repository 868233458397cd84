package io.tokenflow;

import java.util.Objects;

/**
 * How to load a model. Immutable; build with {@link #builder()}.
 *
 * @param gpuLayers layers to offload to a GPU backend (0 = CPU only, -1 = all)
 * @param useMmap map the file instead of reading it into memory
 * @param vocabOnly load only the tokenizer (no weights; no sessions can be opened)
 * @param progress load progress listener (never null; a no-op by default)
 */
public record ModelOptions(int gpuLayers, boolean useMmap, boolean vocabOnly, LoadProgressListener progress) {
    public ModelOptions {
        if (gpuLayers < -1) throw new IllegalArgumentException("gpuLayers must be >= -1, got " + gpuLayers);
        Objects.requireNonNull(progress, "progress");
    }

    public static ModelOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().gpuLayers(gpuLayers).useMmap(useMmap).vocabOnly(vocabOnly).progress(progress);
    }

    public static final class Builder {
        private int gpuLayers = 0;
        private boolean useMmap = true;
        private boolean vocabOnly = false;
        private LoadProgressListener progress = f -> { };

        public Builder gpuLayers(int n) { this.gpuLayers = n; return this; }
        public Builder useMmap(boolean b) { this.useMmap = b; return this; }
        public Builder vocabOnly(boolean b) { this.vocabOnly = b; return this; }
        public Builder progress(LoadProgressListener l) { this.progress = Objects.requireNonNull(l, "progress"); return this; }
        public ModelOptions build() { return new ModelOptions(gpuLayers, useMmap, vocabOnly, progress); }
    }
}
