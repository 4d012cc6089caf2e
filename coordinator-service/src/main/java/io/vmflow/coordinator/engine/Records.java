package io.vmflow.coordinator.engine;

import io.vmflow.avro.Actor;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.Phase;
import io.vmflow.avro.Reason;
import io.vmflow.avro.Transport;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.statemachine.Effect;
import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The records the engine writes, built from what the state machine decided: audit events (with their
 * CloudEvents headers), host commands, snapshots, leases and dead letters, all in the Confluent wire
 * format under the catalogue's subjects.
 */
final class Records {

    private final String coordinatorId;
    private final WireFormat wire;
    private final Inventory inventory;
    private final Duration leaseGrace;

    Records(String coordinatorId, WireFormat wire, Inventory inventory, Duration leaseGrace) {
        this.coordinatorId = coordinatorId;
        this.wire = wire;
        this.inventory = inventory;
        this.leaseGrace = leaseGrace;
    }

    /** One phase transition for the audit log; {@code m} is null for a request that never became a migration. */
    ProducerRecord<String, byte[]> event(
            String id,
            Migration m,
            MigrationPhase from,
            MigrationPhase to,
            long seq,
            Reason reason,
            JobFigures figures,
            String hostId,
            boolean byAgent,
            String principal,
            String requestId) {
        Integer pct = null;
        if (figures != null
                && figures.getDataTotalBytes() != null
                && figures.getDataTotalBytes() > 0
                && figures.getDataProcessedBytes() != null) {
            pct = (int) Math.min(100, 100 * figures.getDataProcessedBytes() / figures.getDataTotalBytes());
        }
        MigrationEvent e = MigrationEvent.newBuilder()
                .setEventId(id + "#" + seq)
                .setMigrationId(id)
                .setSequence(seq)
                .setPreviousPhase(from == null ? null : Phase.valueOf(from.name()))
                .setPhase(Phase.valueOf(to.name()))
                .setOccurredAt(Instant.now())
                .setActor(byAgent ? Actor.AGENT : Actor.COORDINATOR)
                .setActorId(byAgent && hostId != null ? hostId : coordinatorId)
                .setHostId(hostId)
                .setPrincipal(principal)
                .setRequestId(requestId)
                .setSpec(m == null ? null : m.spec())
                .setReason(reason)
                .setFigures(figures)
                .setProgressPercent(pct)
                .build();
        ProducerRecord<String, byte[]> r = record(TopicCatalogue.MIGRATION_EVENTS, id, e);
        CloudEvents.addHeaders(r.headers(), e, coordinatorId);
        return r;
    }

    ProducerRecord<String, byte[]> event(Migration m, Effect.Transition tr) {
        return event(
                m.id(),
                m,
                tr.from(),
                tr.to(),
                tr.sequence(),
                tr.reason(),
                tr.figures(),
                tr.hostId(),
                tr.byAgent(),
                m.principal(),
                m.requestId());
    }

    /** A command to one agent, fenced by {@code epoch} (the coordinators' group generation). */
    ProducerRecord<String, byte[]> command(Migration m, Effect.Command c, int epoch) {
        HostCommand cmd = HostCommand.newBuilder()
                .setCommandId(m.id() + ":" + c.type().name().toLowerCase() + ":" + c.hostId())
                .setMigrationId(m.id())
                .setHostId(c.hostId())
                .setType(c.type())
                .setEpoch(epoch)
                // the issuer is the group: its generation fences every instance that lost its partitions
                .setIssuer(Engine.GROUP)
                .setLeaseHolder(coordinatorId)
                .setIssuedAt(Instant.now())
                .setSpec(m.spec())
                .setPeerHost(c.peerHost())
                .setDomainXml(c.domainXml())
                .setMigrationUri(c.migrationUri())
                .setReason(c.reason())
                .setLeaseGraceMs(c.type() == CommandType.PERFORM ? leaseGrace.toMillis() : null)
                .setDestinationRelay(destinationRelay(m, c))
                .build();
        return record(TopicCatalogue.hostCommands(c.hostId()), m.id(), cmd);
    }

    ProducerRecord<String, byte[]> snapshot(Tracked t) {
        return record(TopicCatalogue.MIGRATION_SNAPSHOTS, t.m().id(), t.snapshot(coordinatorId));
    }

    ProducerRecord<String, byte[]> lease(CoordinatorLease lease) {
        return record(TopicCatalogue.COORDINATOR_LEASES, coordinatorId, lease);
    }

    ProducerRecord<String, byte[]> deadLetter(
            ConsumerRecord<String, byte[]> r, String code, String message, Throwable cause) {
        return DeadLetters.record(r, code, message, cause, Engine.GROUP);
    }

    /**
     * A tunnelled migration's source is told the destination's relay (from its host state) when the
     * destination runs one; without one, peer-to-peer falls back to libvirt's own tunnel.
     */
    private String destinationRelay(Migration m, Effect.Command c) {
        boolean starts = c.type() == CommandType.PERFORM || c.type() == CommandType.HANDOFF_PEER_TO_PEER;
        if (!starts || m.spec().getTransport() != Transport.TUNNELLED || c.peerHost() == null) {
            return null;
        }
        return inventory.host(c.peerHost()).map(h -> h.getRelayEndpoint()).orElse(null);
    }

    private ProducerRecord<String, byte[]> record(Topic t, String key, SpecificRecord v) {
        return new ProducerRecord<>(t.name(), key, wire.encode(t.valueSubject(), v));
    }
}
