package io.tokenflow.train;

/**
 * A family of generated samples. {@link #sample} is a pure function of its arguments: any sample can be made
 * again on its own from (seed, split, index, length).
 */
public interface TaskGenerator {
    /** Family name, e.g. "passkey"; also the {@code tokenflow eval --task} name. */
    String family();

    /**
     * @param targetLength approximate length of prompt + answer, in {@code measure} units (families with a
     *                     natural size, such as stories, may ignore it)
     */
    TaskSample sample(long seed, Split split, long index, int targetLength, LengthMeasure measure);

    default TaskSample sample(long seed, Split split, long index, int targetChars) {
        return sample(seed, split, index, targetChars, LengthMeasure.CHARS);
    }
}
