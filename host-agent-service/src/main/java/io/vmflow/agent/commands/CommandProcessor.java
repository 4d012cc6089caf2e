package io.vmflow.agent.commands;

import io.vmflow.agent.flows.DestinationSide;
import io.vmflow.agent.flows.PeerToPeerSource;
import io.vmflow.agent.flows.SourceSide;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.report.Outcome;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.runtime.kafka.InvalidRecordException;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes each command addressed to this host: refuses what is not for it or comes from a stale
 * epoch, answers a repeated command with its first reply (one effect), reports acceptance, and runs
 * the work on bounded pools: migrations on one, the short steps around them (BEGIN, PREPARE, FINISH,
 * CONFIRM) on another, and ABORT and TUNE on a third, so that nothing waits behind a migration it
 * must stop or that waits for it. A peer-to-peer hand-off on host A waits for B's PREPARE while it
 * holds one of A's migration workers; with one pool, two hand-offs each way filled both hosts'
 * pools and every PREPARE queued behind them until the peer timeout.
 */
public final class CommandProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(CommandProcessor.class);

    private final String hostId;
    private final CommandLedger ledger;
    private final Reporter reporter;
    private final ExecutorService workers;
    private final ExecutorService steps;
    private final ExecutorService urgent;
    private final SourceSide source;
    private final DestinationSide destination;
    private final PeerToPeerSource peerToPeer;
    private final AtomicInteger runningMigrations = new AtomicInteger();

    public CommandProcessor(
            String hostId,
            CommandLedger ledger,
            Reporter reporter,
            ExecutorService workers,
            ExecutorService steps,
            ExecutorService urgent,
            SourceSide source,
            DestinationSide destination,
            PeerToPeerSource peerToPeer) {
        this.hostId = hostId;
        this.ledger = ledger;
        this.reporter = reporter;
        this.workers = workers;
        this.steps = steps;
        this.urgent = urgent;
        this.source = source;
        this.destination = destination;
        this.peerToPeer = peerToPeer;
    }

    /** Migrations this host is sending right now. */
    public int runningMigrations() {
        return runningMigrations.get();
    }

    /**
     * Called by the command consumer for each decoded command, in order, from this host's command topic
     * and every host's peer-command topic ({@link CommandOrigin} says which to take; the consumer
     * dead-letters an untrusted one).
     */
    public void accept(ConsumerRecord<String, byte[]> raw, HostCommand c) {
        MDC.put("migrationId", c.getMigrationId());
        try {
            CommandOrigin.Judgement origin = CommandOrigin.judge(hostId, raw.topic(), c);
            if (origin.verdict() == CommandOrigin.Verdict.NOT_FOR_US) {
                return;
            }
            if (origin.verdict() == CommandOrigin.Verdict.UNTRUSTED) {
                throw new InvalidRecordException(origin.code(), origin.message());
            }
            if (!hostId.equals(c.getHostId())) {
                reporter.send(reporter.about(
                        c,
                        Outcome.refused(ReasonCode.WRONG_HOST.reason(
                                "command for host " + c.getHostId() + " arrived at " + hostId))));
                return;
            }
            switch (ledger.admit(c.getCommandId(), c.getMigrationId(), c.getEpoch())) {
                case DONE -> {
                    LOG.info("command {} seen again; repeating its reply", c.getCommandId());
                    ledger.finalReport(c.getCommandId()).ifPresent(reporter::send);
                }
                case IN_FLIGHT ->
                    LOG.info("command {} seen again while running; its reply will follow", c.getCommandId());
                case STALE -> {
                    HostReport r = reporter.about(
                            c,
                            Outcome.refused(ReasonCode.STALE_EPOCH.reason("epoch "
                                    + c.getEpoch() + " of " + c.getIssuer() + " is older than epoch "
                                    + ledger.highestEpoch(c.getMigrationId()) + " already seen for "
                                    + c.getMigrationId() + "; the coordinator that owns it now has taken over")));
                    reporter.send(r);
                    ledger.finish(c.getCommandId(), r);
                }
                case NEW -> start(c);
            }
        } finally {
            MDC.remove("migrationId");
        }
    }

    private void start(HostCommand c) {
        reporter.send(reporter.accepted(c));
        try {
            poolFor(c.getType()).execute(() -> run(c));
        } catch (RejectedExecutionException e) {
            HostReport r = reporter.about(
                    c,
                    Outcome.refused(ReasonCode.INTERNAL_ERROR.reason(
                            "agent " + hostId + " is shutting down or has too many queued commands; retry later")));
            reporter.send(r);
            ledger.finish(c.getCommandId(), r);
        }
    }

    private ExecutorService poolFor(CommandType t) {
        return switch (t) {
            case ABORT, TUNE -> urgent;
            case PERFORM, HANDOFF_PEER_TO_PEER, HANDOFF_UNMANAGED -> workers;
            default -> steps;
        };
    }

    private void run(HostCommand c) {
        MDC.put("migrationId", c.getMigrationId());
        boolean migrating = c.getType() == CommandType.PERFORM || c.getType() == CommandType.HANDOFF_PEER_TO_PEER;
        if (migrating) {
            runningMigrations.incrementAndGet();
        }
        Outcome outcome;
        try {
            LOG.info(
                    "{} {} for guest {}",
                    c.getType(),
                    c.getCommandId(),
                    c.getSpec().getGuest());
            outcome = dispatch(c);
        } catch (HypervisorException e) {
            LOG.warn("{} {} failed: {}", c.getType(), c.getCommandId(), e.getMessage());
            outcome = Outcome.failed(e.reason());
        } catch (RuntimeException e) {
            LOG.error("{} {} failed unexpectedly", c.getType(), c.getCommandId(), e);
            outcome = Outcome.failed(ReasonCode.INTERNAL_ERROR.reason(e.toString()));
        } finally {
            if (migrating) {
                runningMigrations.decrementAndGet();
            }
        }
        HostReport report = reporter.about(c, outcome);
        try {
            reporter.send(report);
        } finally {
            ledger.finish(c.getCommandId(), report);
            MDC.remove("migrationId");
        }
    }

    private Outcome dispatch(HostCommand c) throws HypervisorException {
        return switch (c.getType()) {
            case BEGIN -> source.begin(c);
            case PREPARE -> destination.prepare(c);
            case PERFORM -> source.performDirect(c);
            case FINISH -> destination.finish(c);
            case CONFIRM -> source.confirm(c);
            case ABORT -> {
                if (c.getSpec().getControlFlow() == io.vmflow.avro.ControlFlow.MANAGED_PEER_TO_PEER) {
                    peerToPeer.abandon(c.getMigrationId());
                }
                yield source.abort(c);
            }
            case HANDOFF_PEER_TO_PEER -> peerToPeer.run(c);
            case HANDOFF_UNMANAGED -> source.handOffUnmanaged(c);
            case TUNE -> source.tune(c);
            case UNKNOWN ->
                Outcome.refused(ReasonCode.UNSUPPORTED_COMMAND.reason(
                        c.getType() + " is not implemented by this agent version"));
        };
    }
}
