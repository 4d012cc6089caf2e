package io.vmflow.agent.management;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The agent's own meters, in the service's registry: commands answered by type and outcome, migrations
 * running, bytes moved, the last downtime, and whether libvirt answers.
 */
public final class AgentMetrics {

    private final MeterRegistry registry;
    private final Counter bytes;
    private final AtomicLong lastDowntimeMs = new AtomicLong(-1);
    private volatile boolean libvirtUp;
    private volatile IntSupplier running = () -> 0;

    public AgentMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.bytes = Counter.builder("vmflow.agent.migrated.bytes")
                .description("Bytes moved by migrations this host sent.")
                .register(registry);
        Gauge.builder("vmflow.agent.running.migrations", () -> running.getAsInt())
                .description("Migrations this host is sending now.")
                .register(registry);
        Gauge.builder("vmflow.agent.last.downtime.seconds", () -> lastDowntimeMs.get() / 1000.0)
                .description("Downtime of the last migration this host sent (-0.001: none yet).")
                .register(registry);
        Gauge.builder("vmflow.agent.libvirt.up", () -> libvirtUp ? 1 : 0)
                .description("Whether the local libvirtd answered the last state publication.")
                .register(registry);
    }

    public void runningMigrations(IntSupplier s) {
        this.running = s;
    }

    public void libvirtUp(boolean up) {
        this.libvirtUp = up;
    }

    public boolean libvirtUp() {
        return libvirtUp;
    }

    /** Counts a final report. */
    public void record(HostReport r) {
        if (r.getKind() != ReportKind.COMMAND_SUCCEEDED
                && r.getKind() != ReportKind.COMMAND_FAILED
                && r.getKind() != ReportKind.COMMAND_REFUSED) {
            return;
        }
        String outcome = r.getKind().name().substring("COMMAND_".length()).toLowerCase();
        Counter.builder("vmflow.agent.commands")
                .description("Commands answered, by type and outcome.")
                .tag("type", String.valueOf(r.getCommandType()))
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        if (r.getFigures() != null && r.getKind() == ReportKind.COMMAND_SUCCEEDED) {
            if (r.getFigures().getDataProcessedBytes() != null) {
                bytes.increment(r.getFigures().getDataProcessedBytes());
            }
            if (r.getFigures().getDowntimeMs() != null) {
                lastDowntimeMs.set(r.getFigures().getDowntimeMs());
            }
        }
    }
}
