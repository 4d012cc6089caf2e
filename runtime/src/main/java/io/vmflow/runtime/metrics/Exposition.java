package io.vmflow.runtime.metrics;

import java.util.Map;
import java.util.TreeMap;

/**
 * Prometheus' text exposition format, written by every service's {@code /metrics}: one family at a
 * time (HELP, TYPE, then its samples), label values escaped, every sample carrying the service's own
 * labels (its host or instance id) first.
 */
public final class Exposition {

    private final StringBuilder out = new StringBuilder();
    private final String common;

    /** {@code common} are label pairs every sample carries, e.g. {@code Map.of("host", "host-a")}. */
    public Exposition(Map<String, String> common) {
        this.common = labels(new TreeMap<>(common));
    }

    public Exposition counter(String name, String help, long value) {
        return family(name, help, "counter").sample(name, Map.of(), value);
    }

    public Exposition gauge(String name, String help, double value) {
        return family(name, help, "gauge").sample(name, Map.of(), value);
    }

    /** A family with one sample per label set (a counter or a gauge); nothing but its header when empty. */
    public Exposition labelled(
            String name, String help, String type, Map<Map<String, String>, ? extends Number> values) {
        family(name, help, type);
        values.forEach((labels, v) -> sample(name, labels, v.doubleValue()));
        return this;
    }

    /** A histogram: cumulative buckets (upper bounds ascending), its sum and count, per label set. */
    public Exposition histogram(String name, String help, Map<Map<String, String>, Histogram> values) {
        family(name, help, "histogram");
        values.forEach((labels, h) -> {
            Histogram.Snapshot s = h.snapshot();
            long cumulative = 0;
            for (int i = 0; i < s.bounds().length; i++) {
                cumulative += s.counts()[i];
                sample(name + "_bucket", with(labels, "le", number(s.bounds()[i])), cumulative);
            }
            sample(name + "_bucket", with(labels, "le", "+Inf"), s.count());
            sample(name + "_sum", labels, s.sum());
            sample(name + "_count", labels, s.count());
        });
        return this;
    }

    public String text() {
        return out.toString();
    }

    private Exposition family(String name, String help, String type) {
        out.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help.replace("\\", "\\\\").replace("\n", "\\n"))
                .append("\n# TYPE ")
                .append(name)
                .append(' ')
                .append(type)
                .append('\n');
        return this;
    }

    private Exposition sample(String name, Map<String, String> labels, double value) {
        String own = labels(new TreeMap<>(labels));
        String all = common.isEmpty() ? own : own.isEmpty() ? common : common + "," + own;
        out.append(name);
        if (!all.isEmpty()) {
            out.append('{').append(all).append('}');
        }
        out.append(' ').append(number(value)).append('\n');
        return this;
    }

    private static Map<String, String> with(Map<String, String> labels, String k, String v) {
        Map<String, String> m = new TreeMap<>(labels);
        m.put(k, v);
        return m;
    }

    private static String labels(Map<String, String> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(k)
                    .append("=\"")
                    .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                    .append('"');
        });
        return b.toString();
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
