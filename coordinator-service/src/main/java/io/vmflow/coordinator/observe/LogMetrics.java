package io.vmflow.coordinator.observe;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.Phase;
import io.vmflow.coordinator.engine.MigrationView;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import io.vmflow.runtime.metrics.ConsumerLag;
import io.vmflow.runtime.metrics.Exposition;
import io.vmflow.runtime.metrics.Histogram;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The coordinator's Prometheus metrics. Counters and histograms come from the committed audit log,
 * read from its beginning, so they are the cluster's (every coordinator instance reports the same
 * totals: aggregate with max, not sum) and survive restarts; gauges come from the migrations this
 * instance knows now.
 */
public final class LogMetrics {

    private static final double[] PHASE_SECONDS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};
    private static final double[] DOWNTIME_SECONDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final int REMEMBERED = 10_000;

    private final Map<String, AtomicLong> entered = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> finished = new ConcurrentHashMap<>();
    private final Map<String, Histogram> phaseSeconds = new ConcurrentHashMap<>();
    private final Map<String, Histogram> totalSeconds = new ConcurrentHashMap<>();
    private final Histogram downtime = new Histogram(DOWNTIME_SECONDS);
    private final AtomicLong bytes = new AtomicLong();
    /** Per migration still open: the phase it is in, since when, and when it was requested. */
    private final Map<String, Open> open = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Open> eldest) {
            return size() > REMEMBERED;
        }
    };

    private record Open(Phase phase, Instant since, Instant requested) {}

    /** One committed event, in log order. */
    public void observe(MigrationEvent e) {
        String phase = e.getPhase().name();
        Instant at = e.getOccurredAt();
        synchronized (open) {
            Open before = open.get(e.getMigrationId());
            if (before != null && before.phase() == e.getPhase()) {
                return; // progress within a phase
            }
            entered.computeIfAbsent(phase, k -> new AtomicLong()).incrementAndGet();
            if (before != null) {
                phaseSeconds
                        .computeIfAbsent(before.phase().name(), k -> new Histogram(PHASE_SECONDS))
                        .observe(seconds(before.since(), at));
            }
            Instant requested = before == null ? at : before.requested();
            if (MigrationPhase.valueOf(phase).isFinal()) {
                open.remove(e.getMigrationId());
                finished.computeIfAbsent(phase, k -> new AtomicLong()).incrementAndGet();
                totalSeconds
                        .computeIfAbsent(phase, k -> new Histogram(PHASE_SECONDS))
                        .observe(seconds(requested, at));
            } else {
                open.put(e.getMigrationId(), new Open(e.getPhase(), at, requested));
            }
        }
        if (e.getPhase() == Phase.SUCCEEDED && e.getFigures() != null) {
            if (e.getFigures().getDowntimeMs() != null) {
                downtime.observe(e.getFigures().getDowntimeMs() / 1000.0);
            }
            if (e.getFigures().getDataProcessedBytes() != null) {
                bytes.addAndGet(e.getFigures().getDataProcessedBytes());
            }
        }
    }

    /** The text for {@code /metrics}. */
    public String scrape(String instance, Collection<MigrationView> now) {
        Map<Map<String, String>, Long> byPhase = new TreeMap<>(LogMetrics::compare);
        for (MigrationPhase p : MigrationPhase.values()) {
            byPhase.put(Map.of("phase", p.name()), 0L);
        }
        now.forEach(v -> byPhase.merge(Map.of("phase", v.phase().name()), 1L, Long::sum));
        long queued = now.stream()
                .filter(v -> v.phase() == MigrationPhase.ACCEPTED || v.phase() == MigrationPhase.QUEUED)
                .count();
        long inFlight = now.stream().filter(v -> v.phase().isInFlight()).count();
        Exposition x = new Exposition(Map.of("instance", instance))
                .labelled("vmflow_migrations", "migrations known now, by phase", "gauge", byPhase)
                .gauge(
                        "vmflow_migrations_queue_length",
                        "migrations waiting for admission (ACCEPTED or QUEUED)",
                        queued)
                .gauge("vmflow_migrations_in_flight", "migrations between SCHEDULED and their end", inFlight)
                .labelled(
                        "vmflow_migration_phase_entered_total",
                        "migrations that entered each phase (from the log)",
                        "counter",
                        labelled("phase", entered))
                .labelled(
                        "vmflow_migrations_finished_total",
                        "migrations that ended, by final phase (from the log)",
                        "counter",
                        labelled("outcome", finished))
                .histogram(
                        "vmflow_migration_phase_seconds",
                        "time spent in each phase before the next",
                        byLabel("phase", phaseSeconds))
                .histogram(
                        "vmflow_migration_duration_seconds",
                        "request to final phase, by outcome",
                        byLabel("outcome", totalSeconds))
                .histogram(
                        "vmflow_migration_downtime_seconds",
                        "guest downtime of succeeded migrations",
                        Map.of(Map.of(), downtime))
                .counter("vmflow_migration_bytes_total", "bytes libvirt moved for succeeded migrations", bytes.get());
        return ConsumerLag.appendTo(x).text();
    }

    private static double seconds(Instant from, Instant to) {
        return Math.max(0, to.toEpochMilli() - from.toEpochMilli()) / 1000.0;
    }

    private static Map<Map<String, String>, Long> labelled(String label, Map<String, AtomicLong> m) {
        Map<Map<String, String>, Long> out = new TreeMap<>(LogMetrics::compare);
        m.forEach((k, v) -> out.put(Map.of(label, k), v.get()));
        return out;
    }

    private static Map<Map<String, String>, Histogram> byLabel(String label, Map<String, Histogram> m) {
        Map<Map<String, String>, Histogram> out = new TreeMap<>(LogMetrics::compare);
        m.forEach((k, v) -> out.put(Map.of(label, k), v));
        return out;
    }

    private static int compare(Map<String, String> a, Map<String, String> b) {
        return a.toString().compareTo(b.toString());
    }
}
