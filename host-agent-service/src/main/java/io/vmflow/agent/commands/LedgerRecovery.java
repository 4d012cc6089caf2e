package io.vmflow.agent.commands;

import io.vmflow.agent.flows.ProgressSampler;
import io.vmflow.agent.flows.Reattach;
import io.vmflow.agent.flows.UnmanagedHandoff;
import io.vmflow.agent.peer.PeerLink;
import io.vmflow.agent.report.Outcome;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds an agent's ledger from its own reports before it takes commands again: every command it
 * answered keeps its answer (a redelivered command still has one effect) and every migration keeps its
 * highest epoch. A command it accepted but never answered (it was running when the agent stopped,
 * kill -9 included) is looked at again ({@link Reattach}: what libvirt and QEMU say, never a guess)
 * and answered from that, or watched until the job libvirt still runs ends; an unmanaged hand-off
 * whose end was never reported is observed again.
 */
public final class LedgerRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(LedgerRecovery.class);
    private static final long RECHECK_MS = 1000;

    private final String hostId;
    private final Endpoints endpoints;
    private final WireFormat wire;
    private final CommandLedger ledger;
    private final Reporter reporter;
    private final Reattach reattach;
    private final UnmanagedHandoff unmanaged;
    private final ProgressSampler progress;
    private final ScheduledExecutorService scheduler;

    public LedgerRecovery(
            String hostId,
            Endpoints endpoints,
            WireFormat wire,
            CommandLedger ledger,
            Reporter reporter,
            Reattach reattach,
            UnmanagedHandoff unmanaged,
            ProgressSampler progress,
            ScheduledExecutorService scheduler) {
        this.hostId = hostId;
        this.endpoints = endpoints;
        this.wire = wire;
        this.ledger = ledger;
        this.reporter = reporter;
        this.reattach = reattach;
        this.unmanaged = unmanaged;
        this.progress = progress;
        this.scheduler = scheduler;
    }

    /** Returns how many answers were restored and how many interrupted commands were looked at again. */
    public int[] recover() {
        Map<String, HostReport> accepted = new LinkedHashMap<>();
        Map<String, HostReport> handedOff = new LinkedHashMap<>();
        int[] restored = {0};
        String reports = TopicCatalogue.hostReports(hostId).name();
        read(
                TopicTail.partitions(endpoints, "vmflow-agent-" + hostId + "-recovery", reports),
                HostReport.class,
                (topic, report) -> {
                    if (!hostId.equals(report.getHostId()) || report.getCommandId() == null) {
                        return;
                    }
                    if (report.getKind() == ReportKind.COMMAND_ACCEPTED) {
                        accepted.put(report.getCommandId(), report);
                    } else if (report.getKind() == ReportKind.LIFECYCLE) {
                        handedOff.remove(report.getCommandId()); // its end was reported
                    } else if (PeerLink.isFinal(report.getKind())) {
                        accepted.remove(report.getCommandId());
                        if (report.getCommandType() == CommandType.HANDOFF_UNMANAGED
                                && report.getKind() == ReportKind.COMMAND_SUCCEEDED) {
                            handedOff.put(report.getCommandId(), report);
                        }
                        if (ledger.finalReport(report.getCommandId()).isEmpty()) {
                            restored[0]++;
                        }
                        ledger.restore(report.getCommandId(), report);
                    }
                });
        Map<String, HostCommand> commands = new HashMap<>();
        if (!accepted.isEmpty() || !handedOff.isEmpty()) {
            Set<String> wanted = new java.util.HashSet<>(accepted.keySet());
            wanted.addAll(handedOff.keySet());
            // its own command topic, and every peer's (a destination's PREPARE and FINISH), believed as
            // the command consumer believes them
            String clientId = "vmflow-agent-" + hostId + "-recovery";
            read(
                    TopicTail.partitions(endpoints, clientId, CommandOrigin.topics(hostId)),
                    HostCommand.class,
                    (topic, c) -> {
                        if (wanted.contains(c.getCommandId())
                                && CommandOrigin.judge(hostId, topic, c).verdict() == CommandOrigin.Verdict.TAKE) {
                            commands.put(c.getCommandId(), c);
                        }
                    });
        }
        for (HostReport orphan : accepted.values()) {
            HostCommand c = commands.get(orphan.getCommandId());
            if (c == null) {
                answerFromReport(
                        orphan,
                        Outcome.failed(ReasonCode.AGENT_RESTARTED.reason("agent " + hostId
                                + " stopped while running " + orphan.getCommandType() + " and the command is no longer"
                                + " on its topic to look at again; look at the guest's state before retrying")));
            } else {
                ledger.resume(c.getCommandId(), c.getMigrationId(), c.getEpoch());
                settle(c);
            }
        }
        handedOff.keySet().stream()
                .map(commands::get)
                .filter(java.util.Objects::nonNull)
                .forEach(c -> {
                    LOG.info("observing unmanaged migration {} again: its end was never reported", c.getMigrationId());
                    unmanaged.resumeObserving(c);
                });
        LOG.info(
                "ledger recovered: {} answered commands, {} interrupted commands looked at again, {} hand-offs"
                        + " observed again",
                restored[0],
                accepted.size(),
                handedOff.size());
        return new int[] {restored[0], accepted.size()};
    }

    /** Answers an interrupted command from what the hypervisors say now, or watches its job until it ends. */
    private void settle(HostCommand c) {
        Optional<Outcome> now = reattach.inspect(c);
        if (now.isPresent()) {
            finish(c, now.get());
            return;
        }
        LOG.info("{} of {} still runs in libvirt: watching it until it ends", c.getType(), c.getMigrationId());
        // progress goes on being reported, so that the coordinator's stall deadline sees the job alive
        AutoCloseable sampling = progress.sample(c);
        AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
        self.set(scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        Optional<Outcome> o = reattach.inspect(c);
                        if (o.isPresent()) {
                            self.get().cancel(false);
                            sampling.close();
                            finish(c, o.get());
                        }
                    } catch (Exception e) {
                        LOG.warn("watching {} of {} again failed: {}", c.getType(), c.getMigrationId(), e.toString());
                    }
                },
                RECHECK_MS,
                RECHECK_MS,
                TimeUnit.MILLISECONDS));
    }

    private void finish(HostCommand c, Outcome o) {
        HostReport r = reporter.about(c, o);
        LOG.info(
                "{} of {} answered after a restart: {} {}",
                c.getType(),
                c.getMigrationId(),
                r.getKind(),
                r.getReason() == null ? "" : r.getReason().getMessage());
        reporter.send(r);
        ledger.finish(c.getCommandId(), r);
        if (c.getType() == CommandType.HANDOFF_UNMANAGED && r.getKind() == ReportKind.COMMAND_SUCCEEDED) {
            unmanaged.resumeObserving(c);
        }
    }

    /** An interrupted command whose command record is gone: answered from its accepted report alone. */
    private void answerFromReport(HostReport orphan, Outcome o) {
        HostReport failed = HostReport.newBuilder(orphan)
                .setReportId(UUID.randomUUID().toString())
                .setKind(o.kind())
                .setReportedAt(Instant.now())
                .setReason(o.reason())
                .build();
        reporter.send(failed);
        ledger.restore(orphan.getCommandId(), failed);
    }

    /**
     * Reads whole partitions and hands on what decodes, with the topic it is on (what does not decode
     * is another consumer's to dead-letter).
     */
    private <T extends org.apache.avro.specific.SpecificRecord> void read(
            java.util.List<org.apache.kafka.common.TopicPartition> partitions,
            Class<T> type,
            java.util.function.BiConsumer<String, T> handler) {
        TopicTail.readToEnd(endpoints, "vmflow-agent-" + hostId + "-recovery", partitions, r -> {
            if (r.value() == null) {
                return;
            }
            try {
                handler.accept(r.topic(), wire.decode(r.value(), type));
            } catch (UndecodableRecordException e) {
                // another consumer's to dead-letter: this agent only reads its own history
            }
        });
    }
}
