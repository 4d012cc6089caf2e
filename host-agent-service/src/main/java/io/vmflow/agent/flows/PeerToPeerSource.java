package io.vmflow.agent.flows;

import io.vmflow.agent.commands.Outcome;
import io.vmflow.agent.commands.PeerLink;
import io.vmflow.agent.libvirt.Hypervisor;
import io.vmflow.agent.libvirt.HypervisorException;
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

    public PeerToPeerSource(String hostId, Hypervisor hypervisor, SourceSide source, PeerLink peer,
            Duration peerTimeout) {
        this.hostId = hostId;
        this.hypervisor = hypervisor;
        this.source = source;
        this.peer = peer;
        this.peerTimeout = peerTimeout;
    }

    public Outcome run(HostCommand c) throws HypervisorException {
        String migrationUri = c.getMigrationUri();
        boolean managedPeer = c.getPeerHost() != null;
        if (managedPeer) {
            String xml = hypervisor.migratableXml(hypervisor.require(c.getSpec().getGuest()));
            HostReport prepared = call(c, CommandType.PREPARE, xml);
            if (migrationUri == null) {
                migrationUri = prepared.getMigrationUri();
            }
        }
        Outcome o = source.performPeerToPeer(c, migrationUri);
        if (managedPeer) {
            HostReport finished = call(c, CommandType.FINISH, null);
            o.guest(finished.getGuest());
            finished.getDetails().forEach((k, v) -> o.detail("destination." + k, v));
        }
        return o;
    }

    private HostReport call(HostCommand parent, CommandType type, String domainXml) throws HypervisorException {
        HostCommand sub = HostCommand.newBuilder(parent)
                .setCommandId(parent.getCommandId() + ":" + type.name().toLowerCase())
                // on the issuer's behalf, with its epoch: fencing stays per coordinator generation
                .setHostId(parent.getPeerHost()).setType(type).setIssuer(parent.getIssuer())
                .setIssuedAt(Instant.now()).setPeerHost(hostId).setDomainXml(domainXml).build();
        HostReport r;
        try {
            r = peer.call(sub, peerTimeout);
        } catch (TimeoutException e) {
            throw new HypervisorException(ReasonCode.PEER_TIMEOUT, "destination agent " + parent.getPeerHost()
                    + " did not answer " + type + " within " + peerTimeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ReasonCode.INTERNAL_ERROR, "interrupted waiting for " + type);
        }
        if (r.getKind() != ReportKind.COMMAND_SUCCEEDED) {
            String why = r.getReason() == null ? "no reason given"
                    : r.getReason().getCode() + ": " + r.getReason().getMessage();
            throw new HypervisorException(ReasonCode.PEER_FAILED, "destination agent " + parent.getPeerHost()
                    + " refused " + type + " (" + why + ")");
        }
        return r;
    }
}
