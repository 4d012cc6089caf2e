package io.vmflow.agent.flows;

import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.hypervisor.MigrationOptions;
import io.vmflow.agent.hypervisor.MigrationStatus;
import io.vmflow.agent.lease.LeaseWatch;
import io.vmflow.agent.report.Outcome;
import io.vmflow.agent.tunnel.Tunnels;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;

/**
 * The source host's part of a migration (libvirt's Begin, Perform, Confirm, and the abort that
 * puts the guest back to running on the source).
 */
public final class SourceSide {

    private static final Duration TUNNEL_OPEN_TIMEOUT = Duration.ofSeconds(30);

    private final Hypervisor hypervisor;
    private final ProgressSampler progress;
    private final LeaseWatch leases;
    private final UnmanagedHandoff unmanaged;
    private final Tunnels tunnels;

    public SourceSide(
            Hypervisor hypervisor,
            ProgressSampler progress,
            LeaseWatch leases,
            UnmanagedHandoff unmanaged,
            Tunnels tunnels) {
        this.hypervisor = hypervisor;
        this.progress = progress;
        this.leases = leases;
        this.unmanaged = unmanaged;
        this.tunnels = tunnels;
    }

    /** One run of libvirt's migration with a given migration URI. */
    @FunctionalInterface
    private interface Run {
        Outcome migrate(String migrationUri) throws HypervisorException;
    }

    /**
     * A tunnelled migration to a host with a relay goes through the vmflow relays: a session is opened
     * on both, libvirt is given the source relay's socket as migration URI, and the session is closed
     * afterwards whatever happened. Anything else runs with the URI it was given.
     */
    private Outcome overTransport(HostCommand c, String migrationUri, Run run) throws HypervisorException {
        if (c.getSpec().getTransport() != Transport.TUNNELLED || c.getDestinationRelay() == null) {
            return run.migrate(migrationUri);
        }
        Tunnels.Tunnel t = tunnels.open(c, TUNNEL_OPEN_TIMEOUT);
        try {
            return run.migrate(t.migrationUri())
                    .detail("tunnelSession", t.sessionId())
                    .detail("transport", "vmflow relays " + c.getHostId() + " -> " + c.getDestinationRelay());
        } catch (HypervisorException e) {
            String why = tunnels.failure(t.sessionId());
            if (why != null) {
                throw new HypervisorException(
                        ReasonCode.TUNNEL_FAILED,
                        "tunnel session " + t.sessionId() + " failed (" + why + "): " + e.getMessage(),
                        e);
            }
            if (streamBroke(e)) {
                // a relay that dies says nothing: libvirt's broken socket is the only sign
                throw new HypervisorException(
                        ReasonCode.TUNNEL_FAILED,
                        "the stream of tunnel session " + t.sessionId() + " broke and no relay said why (is the"
                                + " relay of " + c.getHostId() + " or " + c.getDestinationRelay() + " running?): "
                                + e.getMessage(),
                        e);
            }
            throw e;
        } finally {
            tunnels.close(c, t.sessionId());
        }
    }

    /** Whether libvirt failed because the migration stream's socket broke (read, write, reset, refused). */
    static boolean streamBroke(HypervisorException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return m.contains("unable to read from socket")
                || m.contains("unable to write to socket")
                || m.contains("connection reset")
                || m.contains("broken pipe")
                || m.contains("connection refused")
                || m.contains("failed to connect socket");
    }

    /** HANDOFF_UNMANAGED: see {@link UnmanagedHandoff}. */
    public Outcome handOffUnmanaged(HostCommand c) throws HypervisorException {
        return unmanaged.handOff(c);
    }

    /** BEGIN: the guest's migratable XML, its persistence, and that it can be migrated as asked. */
    public Outcome begin(HostCommand c) throws HypervisorException {
        String guest = c.getSpec().getGuest();
        if (!hypervisor.has(guest)) {
            throw new HypervisorException(
                    ReasonCode.GUEST_NOT_FOUND, "guest '" + guest + "' is not defined on " + hypervisor.uri());
        }
        GuestObservation g = hypervisor.observe(guest);
        if (c.getSpec().getLive() && g.getState() != GuestState.RUNNING && g.getState() != GuestState.PAUSED) {
            throw new HypervisorException(
                    ReasonCode.GUEST_NOT_RUNNING,
                    "guest '" + g.getName() + "' is " + g.getState()
                            + " on the source; a live migration needs it running (or ask offline)");
        }
        return Outcome.succeeded()
                .guest(g)
                .domainXml(hypervisor.migratableXml(guest))
                .detail("persistent", Boolean.toString(g.getPersistent()));
    }

    /** PERFORM (managed direct): the agent holds both connections and runs the libvirt migration. */
    public Outcome performDirect(HostCommand c) throws HypervisorException {
        if (c.getSpec().getTransport() == Transport.TUNNELLED && c.getDestinationRelay() == null) {
            throw new HypervisorException(
                    ReasonCode.TUNNELLED_WITHOUT_RELAY,
                    "managed direct migration can only"
                            + " tunnel through vmflow relays, and the destination publishes none (libvirt's own tunnel"
                            + " needs peer-to-peer)");
        }
        return overTransport(c, c.getMigrationUri(), uri -> performDirect(c, uri));
    }

    private Outcome performDirect(HostCommand c, String migrationUri) throws HypervisorException {
        String destination = requireDestinationUri(c);
        String guest = c.getSpec().getGuest();
        MigrationOptions o = MigrationOptions.of(c.getSpec(), migrationUri, false, false);
        try (AutoCloseable sampling = progress.sample(c);
                LeaseWatch.Handle lease = leases.watch(c)) {
            hypervisor.migrateDirect(guest, destination, o);
        } catch (HypervisorException e) {
            if (leases.lapsed(c.getCommandId())) {
                throw new HypervisorException(
                        ReasonCode.LEASE_LAPSED,
                        "aborted because the lease of " + c.getIssuer() + " lapsed: " + e.getMessage(),
                        e);
            }
            throw e;
        } catch (Exception e) {
            throw new HypervisorException(ReasonCode.INTERNAL_ERROR, "stopping progress sampling: " + e, e);
        }
        return Outcome.succeeded()
                .figures(hypervisor.completedJobFigures(guest, destination))
                .guest(hypervisor.observe(guest))
                .detail("flags", Long.toString(o.flags()));
    }

    /**
     * The peer-to-peer perform: libvirtd on this host drives the destination's itself. Tunnelled, it
     * goes through the vmflow relays when the destination has one, else through libvirt's own tunnel
     * (the libvirtd connection; the seed's scenario 6 with a destination that runs no vmflow).
     */
    public Outcome performPeerToPeer(HostCommand c, String migrationUri) throws HypervisorException {
        boolean libvirtTunnel = c.getSpec().getTransport() == Transport.TUNNELLED && c.getDestinationRelay() == null;
        return overTransport(
                c,
                migrationUri,
                uri -> performPeerToPeer(c, uri, libvirtTunnel)
                        .detail("transport", libvirtTunnel ? "libvirt tunnel" : "native"));
    }

    private Outcome performPeerToPeer(HostCommand c, String migrationUri, boolean libvirtTunnel)
            throws HypervisorException {
        String destination = requireDestinationUri(c);
        String guest = c.getSpec().getGuest();
        MigrationOptions o = MigrationOptions.of(c.getSpec(), migrationUri, true, libvirtTunnel);
        try (AutoCloseable sampling = progress.sample(c)) {
            hypervisor.migrateToUri(guest, destination, o);
        } catch (HypervisorException e) {
            throw e;
        } catch (Exception e) {
            throw new HypervisorException(ReasonCode.INTERNAL_ERROR, "stopping progress sampling: " + e, e);
        }
        return Outcome.succeeded()
                .figures(hypervisor.completedJobFigures(guest, destination))
                .detail("flags", Long.toString(o.flags()));
    }

    /**
     * CONFIRM: the guest must no longer run here; the source config is removed when undefineSource
     * was asked and libvirt has not already done it.
     */
    public Outcome confirm(HostCommand c) throws HypervisorException {
        Outcome o = Outcome.succeeded();
        if (c.getSpec().getControlFlow() == ControlFlow.UNMANAGED_DIRECT && unmanaged.removeCompletedSourceCopy(c)) {
            o.detail("sourceCopy", "paused leftover of the completed unmanaged migration destroyed");
        }
        GuestObservation g = hypervisor.observe(c.getSpec().getGuest());
        if (g.getState() == GuestState.RUNNING || g.getState() == GuestState.PAUSED) {
            throw new HypervisorException(
                    ReasonCode.MIGRATION_FAILED,
                    "guest '" + g.getName() + "' is still " + g.getState()
                            + " on the source; the migration did not complete");
        }
        if (c.getSpec().getUndefineSource() && g.getPersistent()) {
            if (hypervisor.has(c.getSpec().getGuest())) {
                hypervisor.undefine(c.getSpec().getGuest());
                o.detail("sourceConfig", "undefined by the agent");
            }
        }
        return o.guest(hypervisor.observe(c.getSpec().getGuest()));
    }

    /**
     * ABORT: cancel the running job if there is one (the blocked migrate call then fails with
     * MIGRATION_ABORTED), then make sure the guest runs on the source.
     */
    public Outcome abort(HostCommand c) throws HypervisorException {
        String guest = c.getSpec().getGuest();
        if (!hypervisor.has(guest)) {
            throw new HypervisorException(
                    ReasonCode.GUEST_NOT_FOUND,
                    "guest '" + c.getSpec().getGuest()
                            + "' is not on the source any more: the migration may already have completed");
        }
        if (c.getSpec().getControlFlow() == ControlFlow.UNMANAGED_DIRECT) {
            return abortUnmanaged(c);
        }
        boolean aborted = hypervisor.abortJob(guest);
        String state = hypervisor.ensureRunning(guest);
        return Outcome.succeeded()
                .guest(hypervisor.observe(c.getSpec().getGuest()))
                .detail("jobAborted", Boolean.toString(aborted))
                .detail("guestOnSource", state);
    }

    /**
     * An unmanaged migration runs in QEMU without libvirt knowing of a job, so its abort goes to QEMU
     * itself (the seed: the hypervisor's own management layer). When QEMU says it had completed, the
     * guest left: reported as GUEST_NOT_FOUND, so that the migration's own result decides.
     */
    private Outcome abortUnmanaged(HostCommand c) throws HypervisorException {
        MigrationStatus s = hypervisor.cancelHypervisorMigration(c.getSpec().getGuest(), Duration.ofSeconds(30));
        if (s.status().equals("completed")) {
            throw new HypervisorException(
                    ReasonCode.GUEST_NOT_FOUND,
                    "QEMU had completed the migration of '" + c.getSpec().getGuest()
                            + "' before the abort: the guest left this host");
        }
        String state = hypervisor.ensureRunning(c.getSpec().getGuest());
        return Outcome.succeeded()
                .guest(hypervisor.observe(c.getSpec().getGuest()))
                .detail("hypervisorMigrationStatus", s.status())
                .detail("guestOnSource", state);
    }

    /**
     * TUNE (the coordinator's completion-timeout policy): RAISE_MAX_DOWNTIME triples the allowed
     * downtime of the running migration (from the request's, or QEMU's default 300 ms; at most 10 s)
     * so that it can converge. Auto-converge and post-copy can only be chosen when a migration starts
     * with libvirt-java, so they are refused here with that reason.
     */
    public Outcome tune(HostCommand c) throws HypervisorException {
        TimeoutPolicy policy = c.getSpec().getOnTimeout();
        if (policy != TimeoutPolicy.RAISE_MAX_DOWNTIME) {
            throw new HypervisorException(
                    ReasonCode.UNSUPPORTED_FLAGS,
                    policy + " cannot be switched on while a"
                            + " migration runs (ask for autoConverge or postCopy in the request itself)");
        }
        long current = c.getSpec().getMaxDowntimeMs() != null ? c.getSpec().getMaxDowntimeMs() : 300;
        long raised = Math.min(10_000, current * 3);
        hypervisor.setMaxDowntime(c.getSpec().getGuest(), raised);
        return Outcome.succeeded().detail("maxDowntimeMs", Long.toString(raised));
    }

    private static String requireDestinationUri(HostCommand c) throws HypervisorException {
        String uri = c.getSpec().getDestinationUri();
        if (uri == null || uri.isBlank()) {
            throw new HypervisorException(
                    ReasonCode.MALFORMED_COMMAND,
                    c.getType() + " needs spec.destinationUri, the destination's libvirt connection URI");
        }
        return uri;
    }
}
