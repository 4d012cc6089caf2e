package io.vmflow.agent.tunnel;

import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.SessionAction;
import io.vmflow.avro.TunnelReport;
import io.vmflow.avro.TunnelReportKind;
import io.vmflow.avro.TunnelSession;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.security.CredentialSeal;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source agent's side of a tunnel through the vmflow relays. Before a tunnelled migration it
 * writes a session to its own {@code vmflow.tunnel-sessions.<host>}: a fresh single-use credential, sealed to this
 * host's relay certificate for the source relay and as a SHA-256 digest for the destination relay; it
 * waits until both relays report the session OPENED, and gives libvirt the source relay's unix socket
 * as the migration URI. The destination hypervisor listens on the socket of the same name on its
 * host, where the destination relay delivers. After the migration the session is closed.
 *
 * <pre>
 *  source QEMU --unix--> source relay ==TLS 1.3, mutual auth==> destination relay --unix--> destination QEMU
 * </pre>
 */
public final class Tunnels implements AutoCloseable {

    /** An open tunnel: its session and the migration URI that sends QEMU's stream into it. */
    public record Tunnel(String sessionId, String migrationUri) {}

    private static final Logger LOG = LoggerFactory.getLogger(Tunnels.class);
    private static final Duration SESSION_LIFETIME = Duration.ofMinutes(2);

    private final String hostId;
    /** Where its sessions go: this host's own topic, which only its agent may write. */
    private final Topic topic;

    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    /** The relay certificate's key, read for each session: a rotated certificate counts at once. */
    private final java.util.function.Supplier<PublicKey> relayKey;

    private final String socketDir;
    private final Map<String, Set<String>> opened = new ConcurrentHashMap<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private final TopicTail<TunnelReport> reports;

    public Tunnels(
            String hostId,
            Endpoints endpoints,
            Producer<String, byte[]> producer,
            WireFormat wire,
            java.util.function.Supplier<PublicKey> relayKey,
            String socketDir,
            Loops loops) {
        this.hostId = hostId;
        this.topic = TopicCatalogue.tunnelSessions(hostId);
        this.producer = producer;
        this.wire = wire;
        this.relayKey = relayKey;
        this.socketDir = socketDir;
        this.reports = new TopicTail<>(
                "tunnels-" + hostId,
                endpoints,
                TopicCatalogue.TUNNEL_REPORTS.name(),
                TopicTail.From.END,
                wire,
                TunnelReport.class,
                (r, report) -> observe(report),
                key -> {},
                loops,
                null); // the coordinator dead-letters what relays report
    }

    public Tunnels start() {
        reports.start();
        return this;
    }

    private void observe(TunnelReport r) {
        String session = r.getSessionId();
        if (session == null) {
            return;
        }
        Set<String> hosts = opened.get(session);
        if (hosts == null) {
            return; // not one of ours
        }
        if (r.getKind() == TunnelReportKind.OPENED) {
            synchronized (hosts) {
                hosts.add(r.getHostId());
                hosts.notifyAll();
            }
        } else if (r.getKind() == TunnelReportKind.CLOSED && r.getReason() != null) {
            failures.putIfAbsent(
                    session, r.getHostId() + "'s relay: " + r.getReason().getMessage());
        }
    }

    /**
     * Opens a session for a tunnelled migration to {@code c.destinationRelay} and waits until both
     * relays have it. Fails with TUNNEL_UNAVAILABLE, saying which relay did not answer.
     */
    public Tunnel open(HostCommand c, Duration timeout) throws HypervisorException {
        if (relayKey == null) {
            throw new HypervisorException(
                    ReasonCode.TUNNELLED_WITHOUT_RELAY,
                    hostId + " runs no transport relay"
                            + " (set VMFLOW_AGENT_RELAY_ENDPOINT and VMFLOW_AGENT_RELAY_CERT), so it cannot tunnel");
        }
        String sessionId = "t-" + UUID.randomUUID();
        String credential = CredentialSeal.newCredential();
        Set<String> hosts = ConcurrentHashMap.newKeySet();
        opened.put(sessionId, hosts);
        Instant now = Instant.now();
        Long cap = c.getSpec().getBandwidthMiBps() == null || c.getSpec().getBandwidthMiBps() <= 0
                ? null
                : c.getSpec().getBandwidthMiBps() << 20;
        TunnelSession s = TunnelSession.newBuilder()
                .setSessionId(sessionId)
                .setMigrationId(c.getMigrationId())
                .setAction(SessionAction.OPEN)
                .setSourceHost(hostId)
                .setDestinationHost(c.getPeerHost())
                .setDestinationRelay(c.getDestinationRelay())
                .setSourceListen(socket(sessionId))
                .setDestinationTarget(socket(sessionId))
                .setCredentialSha256(ByteBuffer.wrap(CredentialSeal.digest(credential)))
                .setSealedCredential(ByteBuffer.wrap(CredentialSeal.seal(credential, relayKey.get(), sessionId)))
                .setExpiresAt(now.plus(SESSION_LIFETIME))
                .setBandwidthBytesPerSecond(cap)
                .setIssuedAt(now)
                .build();
        send(s);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (hosts) {
            while (!(hosts.contains(hostId) && hosts.contains(c.getPeerHost()))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    close(c, sessionId);
                    String missing =
                            hosts.contains(hostId) ? c.getPeerHost() + " (at " + c.getDestinationRelay() + ")" : hostId;
                    throw new HypervisorException(
                            ReasonCode.TUNNEL_UNAVAILABLE,
                            "the transport relay of " + missing
                                    + " did not open tunnel session " + sessionId + " within " + timeout.toSeconds()
                                    + " s: is it running and reading " + topic.name() + "?");
                }
                try {
                    hosts.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    close(c, sessionId);
                    throw new HypervisorException(ReasonCode.INTERNAL_ERROR, "interrupted opening a tunnel");
                }
            }
        }
        LOG.info(
                "migration {}: tunnel session {} open on {} and {}",
                c.getMigrationId(),
                sessionId,
                hostId,
                c.getPeerHost());
        return new Tunnel(sessionId, "unix://" + socket(sessionId));
    }

    /** Why a relay cut the session's stream, if one did. */
    public String failure(String sessionId) {
        return failures.get(sessionId);
    }

    /** Closes a session on both relays (a stream still running is cut). */
    public void close(HostCommand c, String sessionId) {
        opened.remove(sessionId);
        Instant now = Instant.now();
        try {
            send(TunnelSession.newBuilder()
                    .setSessionId(sessionId)
                    .setMigrationId(c.getMigrationId())
                    .setAction(SessionAction.CLOSE)
                    .setSourceHost(hostId)
                    .setDestinationHost(c.getPeerHost())
                    .setDestinationRelay(c.getDestinationRelay() == null ? "" : c.getDestinationRelay())
                    .setCredentialSha256(ByteBuffer.allocate(0))
                    .setExpiresAt(now)
                    .setIssuedAt(now)
                    .build());
        } catch (HypervisorException e) {
            LOG.warn(
                    "migration {}: tunnel session {} not closed ({}); it expires on its own",
                    c.getMigrationId(),
                    sessionId,
                    e.getMessage());
        }
        failures.remove(sessionId);
    }

    private String socket(String sessionId) {
        return socketDir + "/" + sessionId + ".sock";
    }

    private void send(TunnelSession s) throws HypervisorException {
        try {
            producer.send(new ProducerRecord<>(topic.name(), s.getMigrationId(), wire.encode(topic.valueSubject(), s)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new HypervisorException(
                    ReasonCode.TUNNEL_UNAVAILABLE,
                    "cannot write tunnel session " + s.getSessionId() + " to " + topic.name() + ": " + e);
        }
    }

    @Override
    public void close() {
        reports.close();
    }
}
