package io.tokenflow.gguf;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * Immutable {@link List} views over primitive arrays, so that large numeric metadata arrays (token types, scores,
 * charsmaps) cost their raw size rather than one boxed object per element. Callers hand over the array and must not
 * keep a reference to it.
 */
final class PrimitiveLists {
    private PrimitiveLists() {}

    /** Marks lists that are already immutable, so {@link GgufArray} need not copy them. */
    abstract static class Frozen<E> extends AbstractList<E> implements RandomAccess {}

    static List<Integer> ofInts(int[] a) {
        return new Frozen<>() {
            @Override public Integer get(int i) { return a[i]; }
            @Override public int size() { return a.length; }
        };
    }

    static List<Long> ofLongs(long[] a) {
        return new Frozen<>() {
            @Override public Long get(int i) { return a[i]; }
            @Override public int size() { return a.length; }
        };
    }

    static List<Float> ofFloats(float[] a) {
        return new Frozen<>() {
            @Override public Float get(int i) { return a[i]; }
            @Override public int size() { return a.length; }
        };
    }

    static List<Double> ofDoubles(double[] a) {
        return new Frozen<>() {
            @Override public Double get(int i) { return a[i]; }
            @Override public int size() { return a.length; }
        };
    }

    static List<Boolean> ofBooleans(boolean[] a) {
        return new Frozen<>() {
            @Override public Boolean get(int i) { return a[i]; }
            @Override public int size() { return a.length; }
        };
    }
}
