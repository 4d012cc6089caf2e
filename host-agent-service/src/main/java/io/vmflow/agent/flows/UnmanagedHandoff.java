package io.vmflow.agent.flows;

import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.hypervisor.HypervisorUri;
import io.vmflow.agent.hypervisor.MigrationStatus;
import io.vmflow.agent.report.Outcome;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unmanaged direct migration from the source agent's side (seed: "Unmanaged direct migration"): the
 * migration is handed to the hypervisor's own management layer, QEMU's QMP {@code migrate} with the
 * hypervisor URI, and nobody supervises it: the command succeeds once QEMU has taken it, and QEMU
 * carries on whatever happens to the coordinator or this agent. The destination must already wait
 * for it (a QEMU started for incoming migration by that host's own management); no vmflow agent
 * controls that side.
 *
 * <p>Afterwards the agent only observes: it reads QEMU's migration status until it ends, reporting its
 * figures as progress meanwhile, and then reports what it saw (LIFECYCLE, with QEMU's figures). On success QEMU leaves the source copy paused;
 * CONFIRM (flow UNMANAGED_DIRECT) then removes it.
 */
public final class UnmanagedHandoff {

    private static final Logger LOG = LoggerFactory.getLogger(UnmanagedHandoff.class);

    private final Hypervisor hypervisor;
    private final Reporter reporter;
    private final ScheduledExecutorService scheduler;
    private final Duration observeEvery;

    public UnmanagedHandoff(
            Hypervisor hypervisor, Reporter reporter, ScheduledExecutorService scheduler, Duration observeEvery) {
        this.hypervisor = hypervisor;
        this.reporter = reporter;
        this.scheduler = scheduler;
        this.observeEvery = observeEvery;
    }

    public Outcome handOff(HostCommand c) throws HypervisorException {
        String uri = HypervisorUri.toQemu(
                c.getSpec().getMigrationUri() != null ? c.getSpec().getMigrationUri() : c.getMigrationUri());
        hypervisor.startHypervisorMigration(c.getSpec().getGuest(), uri);
        observe(c);
        return Outcome.succeeded()
                .detail("handedOff", "true")
                .detail("hypervisorUri", uri)
                .guest(hypervisor.observe(c.getSpec().getGuest()));
    }

    /** Watches a hand-off again (an agent that restarted while QEMU migrated on its own). */
    public void resumeObserving(HostCommand c) {
        observe(c);
    }

    /** Reads QEMU's status until the migration ends (its figures are progress), then reports what it saw once. */
    private void observe(HostCommand c) {
        AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
        self.set(scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        MigrationStatus s =
                                hypervisor.hypervisorMigrationStatus(c.getSpec().getGuest());
                        if (!s.isFinal()) {
                            if (s.figures() != null
                                    && s.figures().getDataTotalBytes() != null
                                    && s.figures().getDataTotalBytes() > 0) {
                                reporter.sendAsync(reporter.progress(c, s.figures()));
                            }
                            return;
                        }
                        Map<String, String> details = new LinkedHashMap<>();
                        details.put("hypervisorMigrationStatus", s.status());
                        if (s.error() != null) {
                            details.put("hypervisorError", s.error());
                        }
                        reporter.send(HostReport.newBuilder()
                                .setReportId(UUID.randomUUID().toString())
                                .setHostId(reporter.hostId())
                                .setKind(ReportKind.LIFECYCLE)
                                .setReportedAt(Instant.now())
                                .setMigrationId(c.getMigrationId())
                                .setCommandId(c.getCommandId())
                                .setCommandType(c.getType())
                                .setFigures(s.figures())
                                .setDetails(details)
                                .setGuest(hypervisor.observe(c.getSpec().getGuest()))
                                .setIssuer(c.getIssuer())
                                .setEpoch(c.getEpoch())
                                .build());
                        self.get().cancel(false);
                    } catch (HypervisorException e) {
                        LOG.info("stopped observing unmanaged migration {}: {}", c.getMigrationId(), e.getMessage());
                        self.get().cancel(false);
                    } catch (RuntimeException e) {
                        LOG.warn("observing unmanaged migration {} failed: {}", c.getMigrationId(), e.toString());
                    }
                },
                observeEvery.toMillis(),
                observeEvery.toMillis(),
                TimeUnit.MILLISECONDS));
    }

    /**
     * CONFIRM after an unmanaged migration: when QEMU says it completed and the source copy is the
     * paused leftover, destroy it (its config stays unless undefineSource was asked).
     */
    public boolean removeCompletedSourceCopy(HostCommand c) throws HypervisorException {
        String guest = c.getSpec().getGuest();
        if (!hypervisor.has(guest) || hypervisor.observe(guest).getState() != GuestState.PAUSED) {
            return false;
        }
        MigrationStatus s = hypervisor.hypervisorMigrationStatus(guest);
        if (!s.status().equals("completed")) {
            return false;
        }
        hypervisor.destroy(guest);
        return true;
    }
}
