package io.vmflow.agent.lease;

import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's rule for managed direct migration, from the source agent's side: the coordinator
 * drives every phase, so if it crashes or loses contact the source must abort the migration and
 * resume the guest's CPUs. The coordinator proves it is alive with a lease on the compacted
 * coordinator-leases topic; while a PERFORM that asked for it runs, this agent checks that the
 * lease of the coordinator that owns the migration now covers it. Ownership follows the partition,
 * not the instance that issued the PERFORM: after a rebalance the new owner lists the migration in its
 * lease with the newer group generation, and that lease is the one believed (each coordinator's latest
 * record counts, whatever epoch an older one carried). Coverage carries over a hand-over: the
 * migration stays covered until the last lease that listed it expires. When that has lapsed for
 * longer than the command's
 * grace, the agent aborts the job, makes sure the guest runs on the source, and reports what it did
 * (LEASE_LAPSED). If the guest cannot be resumed it says so: GUEST_LEFT_PAUSED, naming the host.
 *
 * <p>A lapse is believed only when the broker proves it: the lease topic was read to its end after
 * the grace ran out, while the broker had been answering for a whole grace. While the broker does not
 * answer, the coordinator may well be alive and renewing (a broker outage is not the client's
 * crash), so nothing is aborted; once it answers again, the coordinator has a grace to renew.
 */
public final class LeaseWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseWatch.class);

    private final String hostId;
    private final Hypervisor hypervisor;
    private final Consumer<HostReport> reports;
    private final BrokerView broker;
    private final Clock clock;
    private final Map<String, CoordinatorLease> leases = new ConcurrentHashMap<>();
    private final Map<String, Watched> watched = new ConcurrentHashMap<>();
    private final Map<String, Boolean> lapsedCommands = new ConcurrentHashMap<>();
    private final java.util.Set<String> unprovenLogged = ConcurrentHashMap.newKeySet();
    private final TopicTail<CoordinatorLease> tail;

    /** What the reader of the lease topic knows about the broker: since when it answers, when it was read to its end. */
    interface BrokerView {
        Instant reachableSince();

        Instant caughtUpAt();
    }

    /** A running PERFORM and the furthest instant a lease of its migration's owner has covered it to. */
    private static final class Watched {
        final HostCommand command;
        final Instant since;
        Instant covered;

        Watched(HostCommand command, Instant since) {
            this.command = command;
            this.since = since;
        }

        HostCommand command() {
            return command;
        }
    }

    public LeaseWatch(
            String hostId,
            Endpoints endpoints,
            WireFormat wire,
            Hypervisor hypervisor,
            Reporter reporter,
            ScheduledExecutorService scheduler,
            Clock clock,
            Loops loops,
            DeadLetters deadLetters) {
        this.hostId = hostId;
        this.hypervisor = hypervisor;
        this.reports = reporter::send;
        this.clock = clock;
        this.tail = new TopicTail<>(
                        "lease-watch-" + hostId,
                        endpoints,
                        TopicCatalogue.COORDINATOR_LEASES.name(),
                        TopicTail.From.BEGINNING,
                        wire,
                        CoordinatorLease.class,
                        (r, l) -> offer(l),
                        leases::remove,
                        loops,
                        deadLetters)
                .probingTheBroker()
                .start();
        this.broker = new BrokerView() {
            @Override
            public Instant reachableSince() {
                return tail.reachableSince();
            }

            @Override
            public Instant caughtUpAt() {
                return tail.caughtUpAt();
            }
        };
        scheduler.scheduleAtFixedRate(this::check, 250, 250, TimeUnit.MILLISECONDS);
    }

    /** A lease watch fed by hand and checked by hand ({@link #offer}, {@link #check}): for unit tests. */
    LeaseWatch(String hostId, Hypervisor hypervisor, Consumer<HostReport> reports, Clock clock, BrokerView broker) {
        this.hostId = hostId;
        this.hypervisor = hypervisor;
        this.reports = reports;
        this.clock = clock;
        this.tail = null;
        this.broker = broker;
    }

    /** A lease record read from the topic, in log order: each coordinator's latest record is what it says now. */
    void offer(CoordinatorLease l) {
        leases.put(l.getCoordinatorId(), l);
    }

    /** Watches a running PERFORM until the returned handle is closed; a command without a grace is not watched. */
    public Handle watch(HostCommand c) {
        if (c.getLeaseGraceMs() == null) {
            return new Handle(null);
        }
        watched.put(c.getCommandId(), new Watched(c, clock.instant()));
        return new Handle(c.getCommandId());
    }

    /** Whether the lease watch aborted this command's migration. */
    public boolean lapsed(String commandId) {
        return lapsedCommands.containsKey(commandId);
    }

    /** Closing stops watching one command. */
    public final class Handle implements AutoCloseable {
        private final String commandId;

        Handle(String commandId) {
            this.commandId = commandId;
        }

        @Override
        public void close() {
            if (commandId != null) {
                watched.remove(commandId);
            }
        }
    }

    /**
     * When the leases stopped covering a watched command's migration: the expiry of its owner's lease (the
     * latest lease listing it with the newest group generation), never earlier than a lease seen covering
     * it before; the start of the watch if none ever did.
     */
    Instant coveredUntil(Watched w) {
        owner(w.command().getMigrationId()).ifPresent(owner -> {
            if (w.covered == null || owner.getExpiresAt().isAfter(w.covered)) {
                w.covered = owner.getExpiresAt();
            }
        });
        return w.covered != null ? w.covered : w.since;
    }

    /** The lease of the coordinator that owns a migration now: of those listing it, the newest generation's. */
    private Optional<CoordinatorLease> owner(String migrationId) {
        return leases.values().stream()
                .filter(l -> l.getMigrationIds().contains(migrationId))
                .max(Comparator.comparingLong(CoordinatorLease::getEpoch)
                        .thenComparing(CoordinatorLease::getExpiresAt));
    }

    /** Who owns a migration now, as the leases say, or the instance that issued the command. */
    private String holder(HostCommand c) {
        return owner(c.getMigrationId())
                .map(CoordinatorLease::getCoordinatorId)
                .orElse(c.getLeaseHolder() != null ? c.getLeaseHolder() : c.getIssuer());
    }

    void check() {
        Instant now = clock.instant();
        for (Watched w : watched.values()) {
            Instant until = coveredUntil(w);
            long grace = w.command().getLeaseGraceMs();
            Instant deadline = until.plusMillis(grace);
            if (!now.isAfter(deadline)) {
                continue;
            }
            Instant reachable = broker.reachableSince();
            Instant caughtUp = broker.caughtUpAt();
            boolean provenSilent = reachable != null
                    && caughtUp != null
                    && caughtUp.isAfter(deadline)
                    && !caughtUp.isBefore(reachable.plusMillis(grace));
            if (provenSilent) {
                watched.remove(w.command().getCommandId());
                lapse(w, until);
            } else if ((reachable == null || reachable.plusMillis(grace).isAfter(now))
                    && unprovenLogged.add(w.command().getCommandId())) {
                LOG.warn(
                        "lease of {} over migration {} ran out at {}, but the broker {}: not aborting until it has"
                                + " answered for a whole grace (the coordinator may be alive)",
                        holder(w.command()),
                        w.command().getMigrationId(),
                        until,
                        reachable == null ? "does not answer" : "answers again only since " + reachable);
            }
        }
    }

    private void lapse(Watched w, Instant until) {
        HostCommand c = w.command();
        lapsedCommands.put(c.getCommandId(), true);
        LOG.warn(
                "lease of {} over migration {} lapsed at {}; aborting and resuming the guest on {}",
                holder(c),
                c.getMigrationId(),
                until,
                hostId);
        HostReport.Builder r = HostReport.newBuilder()
                .setReportId(UUID.randomUUID().toString())
                .setHostId(hostId)
                .setKind(ReportKind.LEASE_LAPSED)
                .setReportedAt(clock.instant())
                .setMigrationId(c.getMigrationId())
                .setCommandId(c.getCommandId())
                .setCommandType(c.getType())
                .setIssuer(c.getIssuer())
                .setEpoch(c.getEpoch());
        try {
            boolean aborted = hypervisor.abortJob(c.getSpec().getGuest());
            String state = hypervisor.ensureRunning(c.getSpec().getGuest());
            r.setReason(ReasonCode.LEASE_LAPSED.reason("the lease of " + holder(c) + " lapsed at " + until
                            + "; the migration was aborted and the guest is " + state + " on " + hostId))
                    .setDetails(Map.of("jobAborted", Boolean.toString(aborted), "guestOnSource", state))
                    .setGuest(hypervisor.observe(c.getSpec().getGuest()));
        } catch (HypervisorException e) {
            r.setReason(ReasonCode.GUEST_LEFT_PAUSED.reason("the lease of " + holder(c) + " lapsed and the guest"
                    + " could not be resumed on " + hostId + " (" + e.getMessage() + "); it is left paused there"));
        }
        reports.accept(r.build());
    }

    @Override
    public void close() {
        if (tail != null) {
            tail.close();
        }
    }
}
