package io.vmflow.agent.flows;

import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.peer.PeerLink;
import io.vmflow.agent.report.Outcome;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;

/**
 * Managed peer-to-peer from the source agent's side: one command from the coordinator, and this
 * agent drives the rest itself.
 *
 * <pre>
 *  coordinator      source agent                      destination agent
 *      | HANDOFF_P2P -->|                                     |
 *      |                |-- PREPARE (domain XML) ------------>| capacity, CPU, conflicts
 *      |                |<------------------ migration URI ---|
 *      |                |== libvirt PEER2PEER migrate ======> | (libvirtd to libvirtd)
 *      |                |-- FINISH -------------------------->| guest running? persistence
 *      |<-- SUCCEEDED --|<----------------------------- ok ---|
 * </pre>
 *
 * When the destination is a libvirt host that runs no vmflow agent (no peer host, only a
 * destination URI: the seed's scenario 5), PREPARE and FINISH are skipped and libvirt alone decides.
 */
public final class PeerToPeerSource {

    private final String hostId;
    private final Hypervisor hypervisor;
    private final SourceSide source;
    private final PeerLink peer;
    private final Duration peerTimeout;

    public PeerToPeerSource(
            String hostId, Hypervisor hypervisor, SourceSide source, PeerLink peer, Duration peerTimeout) {
        this.hostId = hostId;
        this.hypervisor = hypervisor;
        this.source = source;
        this.peer = peer;
        this.peerTimeout = peerTimeout;
    }

    /** An ABORT arrived: a hand-off of this migration that waits for its peer, or has not started, ends. */
    public void abandon(String migrationId) {
        peer.abandon(migrationId);
    }

    public Outcome run(HostCommand c) throws HypervisorException {
        String migrationUri = c.getMigrationUri();
        boolean managedPeer = c.getPeerHost() != null;
        if (managedPeer) {
            String xml = hypervisor.migratableXml(c.getSpec().getGuest());
            // nothing has happened yet: a destination that cannot be reached in a peer timeout fails it
            HostReport prepared = call(c, CommandType.PREPARE, xml, peerTimeout, false);
            if (migrationUri == null) {
                migrationUri = prepared.getMigrationUri();
            }
        }
        if (peer.abandoned(c.getMigrationId())) {
            throw new HypervisorException(
                    ReasonCode.MIGRATION_ABORTED,
                    "aborted before the migration started: the" + " guest stays on " + hostId);
        }
        Outcome o = source.performPeerToPeer(c, migrationUri);
        if (managedPeer) {
            // the guest has left: FINISH is delivered whenever the broker can take it, however long that is,
            // and an ABORT arriving now cannot undo the migration, so it does not end this call either (the
            // coordinator reads the hand-off's success as ABORT_TOO_LATE)
            HostReport finished = call(c, CommandType.FINISH, null, null, true);
            o.guest(finished.getGuest());
            finished.getDetails().forEach((k, v) -> o.detail("destination." + k, v));
        }
        return o;
    }

    private HostReport call(
            HostCommand parent, CommandType type, String domainXml, Duration deliverWithin, boolean committed)
            throws HypervisorException {
        HostCommand sub = HostCommand.newBuilder(parent)
                .setCommandId(parent.getCommandId() + ":" + type.name().toLowerCase())
                // on the issuer's behalf, with its epoch: the destination fences it against the migration's newest
                .setHostId(parent.getPeerHost())
                .setType(type)
                .setIssuer(parent.getIssuer())
                .setIssuedAt(Instant.now())
                .setPeerHost(hostId)
                .setDomainXml(domainXml)
                .build();
        HostReport r;
        try {
            r = peer.call(sub, deliverWithin, peerTimeout, committed);
        } catch (TimeoutException e) {
            throw new HypervisorException(ReasonCode.PEER_TIMEOUT, e.getMessage());
        } catch (PeerLink.Abandoned e) {
            throw new HypervisorException(
                    ReasonCode.MIGRATION_ABORTED, e.getMessage() + "; the guest stays on " + hostId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ReasonCode.INTERNAL_ERROR, "interrupted waiting for " + type);
        }
        if (r.getKind() != ReportKind.COMMAND_SUCCEEDED) {
            String why = r.getReason() == null
                    ? "no reason given"
                    : r.getReason().getCode() + ": " + r.getReason().getMessage();
            throw new HypervisorException(
                    ReasonCode.PEER_FAILED,
                    "destination agent " + parent.getPeerHost() + " refused " + type + " (" + why + ")");
        }
        return r;
    }
}
