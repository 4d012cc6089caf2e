package io.vmflow.agent.libvirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.hypervisor.MigrationStatus;
import io.vmflow.avro.JobFigures;
import io.vmflow.schemas.reasons.ReasonCode;
import java.io.IOException;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * QEMU's own management interface (QMP), reached through libvirt's monitor pass-through
 * (virDomainQemuMonitorCommand). Used only for the unmanaged direct flow, where the migration is
 * the hypervisor's business and libvirt does not run it.
 */
final class QemuMonitor {

    private static final ObjectMapper JSON = new ObjectMapper();

    private QemuMonitor() {}

    /** Starts QEMU's migration to a hypervisor URI (QMP "migrate"); returns at once, QEMU carries on alone. */
    static void migrate(Domain d, String qemuUri) throws HypervisorException {
        ObjectNode cmd = JSON.createObjectNode().put("execute", "migrate");
        cmd.putObject("arguments").put("uri", qemuUri);
        JsonNode answer = call(d, cmd.toString());
        if (answer.has("error")) {
            throw new HypervisorException(
                    ReasonCode.MIGRATION_FAILED,
                    "QEMU refused to migrate to " + qemuUri + ": "
                            + answer.path("error").path("desc").asText());
        }
    }

    /**
     * Cancels QEMU's outgoing migration (QMP "migrate_cancel") and waits, up to {@code wait}, until
     * QEMU says how it ended: "cancelled" (the guest stays here), "completed" (too late: it arrived),
     * or "failed". Returns QEMU's last status.
     */
    static MigrationStatus cancel(Domain d, java.time.Duration wait) throws HypervisorException {
        JsonNode answer = call(d, "{\"execute\":\"migrate_cancel\"}");
        if (answer.has("error")) {
            throw new HypervisorException(
                    ReasonCode.HYPERVISOR_ERROR,
                    "QEMU refused to cancel the migration: "
                            + answer.path("error").path("desc").asText());
        }
        long until = System.nanoTime() + wait.toNanos();
        MigrationStatus s = status(d);
        while (!s.isFinal() && !s.status().equals("none") && System.nanoTime() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HypervisorException(ReasonCode.INTERNAL_ERROR, "interrupted waiting for QEMU's cancel");
            }
            s = status(d);
        }
        return s;
    }

    /** QMP "query-migrate": QEMU's migration status and figures. */
    static MigrationStatus status(Domain d) throws HypervisorException {
        JsonNode r = call(d, "{\"execute\":\"query-migrate\"}").path("return");
        JsonNode ram = r.path("ram");
        JobFigures f = new JobFigures(
                longOrNull(r, "total-time"),
                longOrNull(ram, "total"),
                longOrNull(ram, "transferred"),
                longOrNull(ram, "remaining"),
                longOrNull(ram, "total"),
                longOrNull(ram, "transferred"),
                longOrNull(ram, "remaining"),
                ram.has("mbps") ? (long) (ram.path("mbps").asDouble() * 1_000_000 / 8) : null,
                longOrNull(ram, "dirty-pages-rate"),
                longOrNull(ram, "dirty-sync-count"),
                longOrNull(r, "downtime"));
        return new MigrationStatus(
                r.path("status").asText("none"), f, r.path("error-desc").asText(null));
    }

    private static JsonNode call(Domain d, String command) throws HypervisorException {
        try {
            return JSON.readTree(d.qemuMonitorCommand(command, 0));
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("QEMU monitor command failed", e);
        } catch (IOException e) {
            throw new HypervisorException(
                    ReasonCode.HYPERVISOR_ERROR, "QEMU monitor answered something that is not JSON");
        }
    }

    private static Long longOrNull(JsonNode n, String field) {
        return n.has(field) && n.get(field).isNumber() ? n.get(field).asLong() : null;
    }
}
