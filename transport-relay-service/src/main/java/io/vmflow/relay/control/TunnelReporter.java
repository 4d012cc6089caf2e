package io.vmflow.relay.control;

import io.vmflow.avro.TunnelReport;
import io.vmflow.avro.TunnelReportKind;
import io.vmflow.relay.net.Relay;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what the relay sees into tunnel reports on Kafka (opened, first byte, closed with bytes and
 * reason, refused with reason), keyed by migration id, or by this host's id for a refused connection
 * that names no known session. Reports never carry a credential.
 */
public final class TunnelReporter implements Relay.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(TunnelReporter.class);

    private final String hostId;
    private final Producer<String, byte[]> producer;
    private final WireFormat wire;

    public TunnelReporter(String hostId, Producer<String, byte[]> producer, WireFormat wire) {
        this.hostId = hostId;
        this.producer = producer;
        this.wire = wire;
    }

    @Override
    public void opened(String sessionId, String migrationId, String peer, String endpoint) {
        LOG.info("session {} of migration {} (with {}) open at {}", sessionId, migrationId, peer, endpoint);
        send(report(TunnelReportKind.OPENED, sessionId, migrationId, peer, 0, null));
    }

    @Override
    public void firstByte(String sessionId, String migrationId, String peer) {
        send(report(TunnelReportKind.FIRST_BYTE, sessionId, migrationId, peer, 0, null));
    }

    @Override
    public void closed(String sessionId, String migrationId, String peer, long bytes, String reason) {
        if (reason == null) {
            LOG.info("session {} (with {}) closed whole after {} bytes", sessionId, peer, bytes);
        } else {
            LOG.warn("session {} (with {}) failed after {} bytes: {}", sessionId, peer, bytes, reason);
        }
        send(report(
                TunnelReportKind.CLOSED,
                sessionId,
                migrationId,
                peer,
                bytes,
                reason == null ? null : ReasonCode.TUNNEL_FAILED.reason(reason)));
    }

    @Override
    public void refused(String peer, String sessionId, String migrationId, String reason) {
        TunnelReport r = report(
                TunnelReportKind.REFUSED,
                sessionId,
                migrationId,
                peer,
                0,
                ReasonCode.valueOf(reason).reason("connection from " + peer + " refused: " + reason));
        send(r);
    }

    private TunnelReport report(
            TunnelReportKind kind,
            String sessionId,
            String migrationId,
            String peer,
            long bytes,
            io.vmflow.avro.Reason reason) {
        return TunnelReport.newBuilder()
                .setReportId(UUID.randomUUID().toString())
                .setHostId(hostId)
                .setKind(kind)
                .setReportedAt(Instant.now())
                .setSessionId(sessionId)
                .setMigrationId(migrationId)
                .setPeer(peer)
                .setBytes(bytes)
                .setReason(reason)
                .build();
    }

    void send(TunnelReport r) {
        String key = r.getMigrationId() != null ? r.getMigrationId() : hostId;
        try {
            producer.send(
                    new ProducerRecord<>(
                            TopicCatalogue.TUNNEL_REPORTS.name(),
                            key,
                            wire.encode(TopicCatalogue.TUNNEL_REPORTS.valueSubject(), r)),
                    (m, e) -> {
                        if (e != null) {
                            LOG.warn("tunnel report {} {} not stored: {}", r.getKind(), r.getSessionId(), e.toString());
                        }
                    });
        } catch (RuntimeException e) {
            LOG.warn("tunnel report {} {} not sent: {}", r.getKind(), r.getSessionId(), e.toString());
        }
    }
}
