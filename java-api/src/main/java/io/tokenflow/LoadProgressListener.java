package io.tokenflow;

/** Receives model-load progress in [0, 1], on the loading thread. */
@FunctionalInterface
public interface LoadProgressListener {
    void onProgress(float fraction);
}
