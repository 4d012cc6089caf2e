package io.vmflow.ops.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** p50, p99 and max of a set of milliseconds, for one line of the benchmark's output. */
record Stats(int n, double p50, double p99, double max) {

    static Stats of(List<Double> ms) {
        if (ms.isEmpty()) {
            return new Stats(0, Double.NaN, Double.NaN, Double.NaN);
        }
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        return new Stats(sorted.size(), at(sorted, 0.50), at(sorted, 0.99), sorted.get(sorted.size() - 1));
    }

    private static double at(List<Double> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    @Override
    public String toString() {
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)", p50, p99, max, n);
    }
}
