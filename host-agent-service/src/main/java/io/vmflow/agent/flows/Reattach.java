package io.vmflow.agent.flows;

import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.hypervisor.MigrationStatus;
import io.vmflow.agent.report.Outcome;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.Optional;

/**
 * What an agent that stopped (kill -9 included) while running a command finds of it when it starts
 * again: never a guess, only what the hypervisors say. A migration job libvirt still runs is watched
 * again ({@link #inspect} answers empty until it ends); a guest that arrived is reported arrived (the
 * destination's libvirt is asked); a guest running here is reported as the failure it verifiably is;
 * a source left paused with the guest nowhere else is resumed (the seed's rule); a guest that runs on
 * neither host is reported as such, naming both. Every other step is idempotent and simply runs again:
 * BEGIN and PREPARE only read and check, TUNE sets the same figures, FINISH, CONFIRM and ABORT look at
 * the guest before they act.
 */
public final class Reattach {

    private final String hostId;
    private final Hypervisor hypervisor;
    private final SourceSide source;
    private final DestinationSide destination;

    public Reattach(String hostId, Hypervisor hypervisor, SourceSide source, DestinationSide destination) {
        this.hostId = hostId;
        this.hypervisor = hypervisor;
        this.source = source;
        this.destination = destination;
    }

    /** The answer a command left unanswered has now, or empty while its job still runs (ask again later). */
    public Optional<Outcome> inspect(HostCommand c) {
        try {
            return switch (c.getType()) {
                case PERFORM, HANDOFF_PEER_TO_PEER -> migration(c);
                case HANDOFF_UNMANAGED -> unmanaged(c);
                case BEGIN -> Optional.of(source.begin(c));
                case PREPARE -> Optional.of(destination.prepare(c));
                case TUNE -> Optional.of(source.tune(c));
                case FINISH -> Optional.of(destination.finish(c));
                case CONFIRM -> Optional.of(source.confirm(c));
                case ABORT -> Optional.of(source.abort(c));
                default -> {
                    GuestObservation g = hypervisor.observe(c.getSpec().getGuest());
                    yield Optional.of(Outcome.failed(ReasonCode.AGENT_RESTARTED.reason("agent " + hostId
                                    + " stopped while running " + c.getType() + ", a command it does not know how to"
                                    + " look at again; the guest is " + describe(g) + " here"))
                            .guest(g));
                }
            };
        } catch (HypervisorException e) {
            return Optional.of(Outcome.failed(e.reason()));
        }
    }

    private Optional<Outcome> migration(HostCommand c) throws HypervisorException {
        String guest = c.getSpec().getGuest();
        if (hypervisor.has(guest) && hypervisor.jobActive(guest)) {
            return Optional.empty(); // libvirt migrates on (peer-to-peer survives its client): watch it end
        }
        GuestObservation here = hypervisor.observe(guest);
        String destinationUri = c.getSpec().getDestinationUri();
        GuestObservation there = destinationUri == null ? null : hypervisor.observeAt(destinationUri, guest);
        boolean runsHere = here.getState() == GuestState.RUNNING;
        boolean runsThere = there != null && there.getState() == GuestState.RUNNING;
        String where = " (" + hostId + ": " + describe(here) + "; " + c.getPeerHost() + ": "
                + (there == null ? "not asked, no destination URI" : describe(there)) + ")";
        if (runsThere && !runsHere) {
            return Optional.of(Outcome.succeeded()
                    .figures(hypervisor.completedJobFigures(guest, destinationUri))
                    .guest(here)
                    .detail("reattached", "the migration completed while agent " + hostId + " was down" + where));
        }
        if (runsHere && runsThere) {
            return Optional.of(Outcome.failed(ReasonCode.MIGRATION_FAILED.reason(
                    "the guest runs on both hosts" + where + ": stop one copy by hand before anything else")));
        }
        if (runsHere) {
            return Optional.of(Outcome.failed(ReasonCode.AGENT_RESTARTED.reason("agent " + hostId + " stopped while"
                            + " migrating; the migration ended without the guest leaving: it runs here" + where))
                    .guest(here));
        }
        if (here.getState() == GuestState.PAUSED) {
            String state = hypervisor.ensureRunning(guest); // the seed: the source resumes the guest's CPUs
            return Optional.of(Outcome.failed(ReasonCode.AGENT_RESTARTED.reason("agent " + hostId + " stopped while"
                            + " migrating; the guest was left paused here and is " + state + where))
                    .guest(hypervisor.observe(guest))
                    .detail("guestOnSource", state));
        }
        return Optional.of(Outcome.failed(ReasonCode.GUEST_LEFT_PAUSED.reason(
                        "agent " + hostId + " stopped while migrating, and neither host runs the guest" + where
                                + ": look at both before starting it"))
                .guest(here));
    }

    /** A hand-off QEMU may have carried out alone: handed off if QEMU migrated (or migrates), else not. */
    private Optional<Outcome> unmanaged(HostCommand c) throws HypervisorException {
        String guest = c.getSpec().getGuest();
        MigrationStatus s = hypervisor.has(guest) ? hypervisor.hypervisorMigrationStatus(guest) : null;
        if (s == null || s.status().equals("none")) {
            return Optional.of(Outcome.failed(ReasonCode.AGENT_RESTARTED.reason("agent " + hostId
                    + " stopped before QEMU started migrating " + guest + "; nothing was handed off")));
        }
        return Optional.of(
                Outcome.succeeded().detail("handedOff", "true").detail("hypervisorMigrationStatus", s.status()));
    }

    private static String describe(GuestObservation g) {
        return g.getUuid() == null ? "not defined" : g.getState().name().toLowerCase();
    }
}
