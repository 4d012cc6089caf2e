package io.vmflow.agent.commands;

import io.vmflow.agent.peer.PeerLink;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds an agent's ledger from its own reports before it takes commands again: every command it
 * answered keeps its answer (a redelivered command still has one effect), every issuer keeps its
 * highest epoch, and a command it accepted but never answered (it was running when the agent
 * stopped) is answered now, as failed with AGENT_RESTARTED, so nobody waits for it forever.
 */
public final class LedgerRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(LedgerRecovery.class);

    private LedgerRecovery() {}

    /** Returns how many answers were restored and how many orphans were answered. */
    public static int[] recover(
            String hostId, Endpoints endpoints, WireFormat wire, CommandLedger ledger, Reporter reporter) {
        Map<String, HostReport> accepted = new LinkedHashMap<>();
        int[] restored = {0};
        String clientId = "vmflow-agent-" + hostId + "-recovery";
        TopicTail.readToEnd(
                endpoints,
                clientId,
                TopicTail.partitions(endpoints, clientId, TopicCatalogue.HOST_REPORTS.name()),
                r -> {
                    HostReport report;
                    try {
                        report = r.value() == null ? null : wire.decode(r.value(), HostReport.class);
                    } catch (UndecodableRecordException e) {
                        return; // not this agent's to judge; the coordinator dead-letters it
                    }
                    if (report == null || !hostId.equals(report.getHostId()) || report.getCommandId() == null) {
                        return;
                    }
                    if (report.getKind() == ReportKind.COMMAND_ACCEPTED) {
                        accepted.put(report.getCommandId(), report);
                    } else if (PeerLink.isFinal(report.getKind())) {
                        accepted.remove(report.getCommandId());
                        if (ledger.finalReport(report.getCommandId()).isEmpty()) {
                            restored[0]++;
                        }
                        ledger.restore(report.getCommandId(), report);
                    }
                });
        for (HostReport orphan : accepted.values()) {
            HostReport failed = HostReport.newBuilder(orphan)
                    .setReportId(UUID.randomUUID().toString())
                    .setKind(ReportKind.COMMAND_FAILED)
                    .setReportedAt(Instant.now())
                    .setReason(ReasonCode.AGENT_RESTARTED.reason("agent " + hostId + " stopped while running "
                            + orphan.getCommandType() + "; look at the guest's state before retrying"))
                    .build();
            reporter.send(failed);
            ledger.restore(orphan.getCommandId(), failed);
        }
        LOG.info(
                "ledger recovered: {} answered commands, {} interrupted commands answered as failed",
                restored[0],
                accepted.size());
        return new int[] {restored[0], accepted.size()};
    }
}
