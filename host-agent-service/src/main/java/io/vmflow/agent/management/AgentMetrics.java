package io.vmflow.agent.management;

import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.metrics.ConsumerLag;
import io.vmflow.runtime.metrics.Exposition;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The agent's Prometheus metrics, in the text exposition format: commands by type and outcome,
 * migrations running, bytes moved, the last downtime, and whether libvirt answers.
 */
public final class AgentMetrics {

    private record Outcome(String type, String outcome) {}

    private final Map<Outcome, AtomicLong> commands = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong lastDowntimeMs = new AtomicLong(-1);
    private volatile boolean libvirtUp;
    private IntSupplier running = () -> 0;

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
        commands.computeIfAbsent(new Outcome(String.valueOf(r.getCommandType()), outcome), k -> new AtomicLong())
                .incrementAndGet();
        if (r.getFigures() != null && r.getKind() == ReportKind.COMMAND_SUCCEEDED) {
            if (r.getFigures().getDataProcessedBytes() != null) {
                bytes.addAndGet(r.getFigures().getDataProcessedBytes());
            }
            if (r.getFigures().getDowntimeMs() != null) {
                lastDowntimeMs.set(r.getFigures().getDowntimeMs());
            }
        }
    }

    public String scrape(String hostId) {
        Map<Map<String, String>, Long> byTypeAndOutcome =
                new TreeMap<>(java.util.Comparator.comparing(Object::toString));
        commands.forEach((k, v) -> byTypeAndOutcome.put(Map.of("type", k.type(), "outcome", k.outcome()), v.get()));
        Exposition x = new Exposition(Map.of("host", hostId))
                .labelled(
                        "vmflow_agent_commands_total",
                        "Commands answered, by type and outcome.",
                        "counter",
                        byTypeAndOutcome)
                .gauge("vmflow_agent_running_migrations", "Migrations this host is sending now.", running.getAsInt())
                .counter("vmflow_agent_migrated_bytes_total", "Bytes moved by migrations this host sent.", bytes.get())
                .gauge(
                        "vmflow_agent_last_downtime_ms",
                        "Downtime of the last migration this host sent (-1: none yet).",
                        lastDowntimeMs.get())
                .gauge(
                        "vmflow_agent_libvirt_up",
                        "Whether the local libvirtd answered the last state publication.",
                        libvirtUp ? 1 : 0);
        return ConsumerLag.appendTo(x).text();
    }
}
