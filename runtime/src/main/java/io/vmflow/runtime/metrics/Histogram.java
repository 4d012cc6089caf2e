package io.vmflow.runtime.metrics;

import java.util.Arrays;

/** A fixed-bucket histogram for Prometheus, safe to observe from several threads. */
public final class Histogram {

    private final double[] bounds;
    private final long[] counts;
    private long count;
    private double sum;

    /** {@code bounds}: the buckets' upper bounds, ascending (the +Inf bucket is implied). */
    public Histogram(double... bounds) {
        for (int i = 1; i < bounds.length; i++) {
            if (bounds[i] <= bounds[i - 1]) {
                throw new IllegalArgumentException("bucket bounds must ascend: " + Arrays.toString(bounds));
            }
        }
        this.bounds = bounds.clone();
        this.counts = new long[bounds.length];
    }

    public synchronized void observe(double v) {
        for (int i = 0; i < bounds.length; i++) {
            if (v <= bounds[i]) {
                counts[i]++;
                break;
            }
        }
        count++;
        sum += v;
    }

    /** Per-bucket (not cumulative) counts; values above the last bound are only in the count. */
    public synchronized Snapshot snapshot() {
        return new Snapshot(bounds.clone(), counts.clone(), count, sum);
    }

    public record Snapshot(double[] bounds, long[] counts, long count, double sum) {}
}
