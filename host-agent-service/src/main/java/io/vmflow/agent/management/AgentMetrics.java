package io.vmflow.agent.management;

import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
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

    private final Map<String, AtomicLong> commands = new ConcurrentHashMap<>();
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
        if (r.getKind() != ReportKind.COMMAND_SUCCEEDED && r.getKind() != ReportKind.COMMAND_FAILED
                && r.getKind() != ReportKind.COMMAND_REFUSED) {
            return;
        }
        String outcome = r.getKind().name().substring("COMMAND_".length()).toLowerCase();
        String key = "type=\"" + r.getCommandType() + "\",outcome=\"" + outcome + "\"";
        commands.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
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
        String host = "host=\"" + hostId + "\"";
        StringBuilder b = new StringBuilder();
        b.append("# HELP vmflow_agent_commands_total Commands answered, by type and outcome.\n");
        b.append("# TYPE vmflow_agent_commands_total counter\n");
        new TreeMap<>(commands).forEach((k, v) ->
                b.append("vmflow_agent_commands_total{").append(host).append(',').append(k).append("} ")
                        .append(v.get()).append('\n'));
        gauge(b, "vmflow_agent_running_migrations", "Migrations this host is sending now.", host, running.getAsInt());
        b.append("# HELP vmflow_agent_migrated_bytes_total Bytes moved by migrations this host sent.\n");
        b.append("# TYPE vmflow_agent_migrated_bytes_total counter\n");
        b.append("vmflow_agent_migrated_bytes_total{").append(host).append("} ").append(bytes.get()).append('\n');
        gauge(b, "vmflow_agent_last_downtime_ms", "Downtime of the last migration this host sent (-1: none yet).",
                host, lastDowntimeMs.get());
        gauge(b, "vmflow_agent_libvirt_up", "Whether the local libvirtd answered the last state publication.", host,
                libvirtUp ? 1 : 0);
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, String labels, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(name).append('{').append(labels).append("} ").append(value).append('\n');
    }
}
