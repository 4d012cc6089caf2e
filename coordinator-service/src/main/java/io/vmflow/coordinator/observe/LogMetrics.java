package io.vmflow.coordinator.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.Phase;
import io.vmflow.coordinator.engine.MigrationView;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The coordinator's own meters. Counters and timers come from the committed audit log, read from its
 * beginning, so they are the cluster's (every coordinator instance reports the same totals: aggregate
 * with max, not sum) and survive restarts; gauges come from the migrations this instance knows now.
 */
public final class LogMetrics {

    private static final Duration[] PHASE_BUCKETS = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800);
    private static final Duration[] DOWNTIME_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
    private static final int REMEMBERED = 10_000;

    private final MeterRegistry registry;
    private final Timer downtime;
    private final Counter bytes;
    /** Per migration still open: the phase it is in, since when, and when it was requested. */
    private final Map<String, Open> open = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Open> eldest) {
            return size() > REMEMBERED;
        }
    };

    private record Open(Phase phase, Instant since, Instant requested) {}

    /** {@code now}: the migrations this instance knows now (asked at each scrape). */
    public LogMetrics(MeterRegistry registry, Supplier<Collection<MigrationView>> views) {
        this.registry = registry;
        // one view of the migrations per scrape, not one per gauge (17 gauges read it)
        Supplier<Collection<MigrationView>> now = recentOf(views, 500);
        for (MigrationPhase p : MigrationPhase.values()) {
            Gauge.builder(
                            "vmflow.migrations",
                            now,
                            n -> n.get().stream().filter(v -> v.phase() == p).count())
                    .description("migrations known now, by phase")
                    .tag("phase", p.name())
                    .register(registry);
        }
        Gauge.builder(
                        "vmflow.migrations.queue.length",
                        now,
                        n -> n.get().stream()
                                .filter(v -> v.phase() == MigrationPhase.ACCEPTED || v.phase() == MigrationPhase.QUEUED)
                                .count())
                .description("migrations waiting for admission (ACCEPTED or QUEUED)")
                .register(registry);
        Gauge.builder(
                        "vmflow.migrations.in.flight",
                        now,
                        n -> n.get().stream()
                                .filter(v -> v.phase().isInFlight())
                                .count())
                .description("migrations between SCHEDULED and their end")
                .register(registry);
        this.downtime = Timer.builder("vmflow.migration.downtime")
                .description("guest downtime of succeeded migrations")
                .serviceLevelObjectives(DOWNTIME_BUCKETS)
                .register(registry);
        this.bytes = Counter.builder("vmflow.migration.bytes")
                .description("bytes libvirt moved for succeeded migrations")
                .register(registry);
        for (MigrationPhase p : MigrationPhase.values()) { // every outcome at zero until it happens
            if (p.isFinal()) {
                finished(p.name());
            }
        }
    }

    /** One committed event, in log order. */
    public void observe(MigrationEvent e) {
        String phase = e.getPhase().name();
        Instant at = e.getOccurredAt();
        synchronized (open) {
            Open before = open.get(e.getMigrationId());
            if (before != null && before.phase() == e.getPhase()) {
                return; // progress within a phase
            }
            Counter.builder("vmflow.migration.phase.entered")
                    .description("migrations that entered each phase (from the log)")
                    .tag("phase", phase)
                    .register(registry)
                    .increment();
            if (before != null) {
                timer(
                                "vmflow.migration.phase",
                                "time spent in each phase before the next",
                                "phase",
                                before.phase().name())
                        .record(between(before.since(), at));
            }
            Instant requested = before == null ? at : before.requested();
            if (isFinal(e.getPhase())) {
                open.remove(e.getMigrationId());
                finished(phase).increment();
                timer("vmflow.migration.duration", "request to final phase, by outcome", "outcome", phase)
                        .record(between(requested, at));
            } else {
                open.put(e.getMigrationId(), new Open(e.getPhase(), at, requested));
            }
        }
        if (e.getPhase() == Phase.SUCCEEDED && e.getFigures() != null) {
            if (e.getFigures().getDowntimeMs() != null) {
                downtime.record(Duration.ofMillis(e.getFigures().getDowntimeMs()));
            }
            if (e.getFigures().getDataProcessedBytes() != null) {
                bytes.increment(e.getFigures().getDataProcessedBytes());
            }
        }
    }

    /** A supplier that asks {@code source} at most once per {@code ms}. */
    private static <T> Supplier<T> recentOf(Supplier<T> source, long ms) {
        return new Supplier<>() {
            private T value;
            private long at;

            @Override
            public synchronized T get() {
                long now = System.currentTimeMillis();
                if (value == null || now - at >= ms) {
                    value = source.get();
                    at = now;
                }
                return value;
            }
        };
    }

    /** Whether a phase of the contract ends a migration (a symbol this build does not know does not). */
    private static boolean isFinal(Phase p) {
        for (MigrationPhase m : MigrationPhase.values()) {
            if (m.name().equals(p.name())) {
                return m.isFinal();
            }
        }
        return false;
    }

    private Counter finished(String outcome) {
        return Counter.builder("vmflow.migrations.finished")
                .description("migrations that ended, by final phase (from the log)")
                .tag("outcome", outcome)
                .register(registry);
    }

    private Timer timer(String name, String description, String tag, String value) {
        return Timer.builder(name)
                .description(description)
                .tag(tag, value)
                .serviceLevelObjectives(PHASE_BUCKETS)
                .register(registry);
    }

    private static Duration between(Instant from, Instant to) {
        return Duration.ofMillis(Math.max(0, to.toEpochMilli() - from.toEpochMilli()));
    }

    private static Duration[] seconds(double... s) {
        Duration[] d = new Duration[s.length];
        for (int i = 0; i < s.length; i++) {
            d[i] = Duration.ofMillis(Math.round(s[i] * 1000));
        }
        return d;
    }
}
