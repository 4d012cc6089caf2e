package io.vmflow.relay.control;

import io.vmflow.avro.SessionAction;
import io.vmflow.avro.TunnelSession;
import io.vmflow.relay.net.Relay;
import io.vmflow.relay.session.Session;
import io.vmflow.runtime.kafka.InvalidRecordException;
import io.vmflow.runtime.security.CredentialSeal;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Instant;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on the tunnel sessions that name this host, from every host's {@code
 * vmflow.tunnel-sessions.<host>}, believing a session only from its source host's topic (which only
 * that host's agent may write): another host can neither open nor close it. As the source: opens the session's local unix socket ({@code <socketDir>/<session>.sock},
 * where the agent points the hypervisor) with the credential unsealed by this host's key. As the
 * destination: registers the session, to be delivered to the hypervisor's incoming unix socket of the
 * same name. CLOSE ends either. A record that cannot be acted on is refused with a reason (and
 * dead-lettered by the consumer); an expired OPEN is ignored.
 */
public final class SessionFeed {

    private static final Logger LOG = LoggerFactory.getLogger(SessionFeed.class);
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    private final String hostId;
    private final Relay relay;
    /** The relay's key, and the one before the last rotation (a session sealed just before it still opens). */
    private volatile PrivateKey key;

    private volatile PrivateKey previousKey;
    private final Path socketDir;
    private final Clock clock;

    /** The relay's certificate was rotated: credentials are sealed to the new key from now on. */
    public void rotate(PrivateKey newKey) {
        if (!newKey.equals(key)) {
            previousKey = key;
            key = newKey;
        }
    }

    private String open(TunnelSession s) throws GeneralSecurityException {
        try {
            return CredentialSeal.open(bytes(s.getSealedCredential()), key, s.getSessionId());
        } catch (GeneralSecurityException e) {
            PrivateKey before = previousKey;
            if (before == null) {
                throw e;
            }
            return CredentialSeal.open(bytes(s.getSealedCredential()), before, s.getSessionId());
        }
    }

    public SessionFeed(String hostId, Relay relay, PrivateKey key, Path socketDir, Clock clock) {
        this.hostId = hostId;
        this.relay = relay;
        this.key = key;
        this.socketDir = socketDir;
        this.clock = clock;
    }

    /** The endpoint of a session on this host (the same name on both hosts). */
    public String endpoint(String sessionId) {
        return "unix:" + socketDir.resolve(sessionId + ".sock");
    }

    public void accept(ConsumerRecord<String, byte[]> raw, TunnelSession s) {
        boolean source = hostId.equals(s.getSourceHost());
        boolean destination = hostId.equals(s.getDestinationHost());
        if (!source && !destination) {
            return;
        }
        if (!TopicCatalogue.isHostsOwn(TopicCatalogue.TUNNEL_SESSIONS_TEMPLATE, raw.topic(), s.getSourceHost())) {
            throw new InvalidRecordException(
                    ReasonCode.NOT_ITS_HOST,
                    "session " + s.getSessionId() + " names " + s.getSourceHost() + " as its source but is on "
                            + raw.topic() + ": only a source host's agent opens or closes its sessions");
        }
        if (!SESSION_ID.matcher(s.getSessionId()).matches()) {
            throw new InvalidRecordException(
                    ReasonCode.MALFORMED_SESSION, "session id must be 1-100 of [A-Za-z0-9._-]");
        }
        if (s.getAction() == SessionAction.CLOSE) {
            relay.closeSession(s.getSessionId());
            return;
        }
        if (s.getAction() != SessionAction.OPEN) {
            throw new InvalidRecordException(ReasonCode.MALFORMED_SESSION, "unknown session action " + s.getAction());
        }
        Instant expires = s.getExpiresAt();
        if (expires.isBefore(clock.instant())) {
            LOG.debug("session {} expired at {}: ignored", s.getSessionId(), expires);
            return;
        }
        if (source && destination) {
            throw new InvalidRecordException(
                    ReasonCode.MALFORMED_SESSION,
                    "session " + s.getSessionId() + " has the same source and destination host " + hostId);
        }
        if (destination) {
            byte[] digest = bytes(s.getCredentialSha256());
            if (digest.length != 32) {
                throw new InvalidRecordException(ReasonCode.MALFORMED_SESSION, "credentialSha256 must be 32 bytes");
            }
            try {
                // the destination QEMU binds the session's socket here: the directory must exist (/run is emptied at
                // boot)
                java.nio.file.Files.createDirectories(socketDir);
                relay.accept(new Session(
                        s.getSessionId(),
                        s.getMigrationId(),
                        s.getSourceHost(),
                        hostId,
                        endpoint(s.getSessionId()),
                        digest,
                        expires));
            } catch (IllegalArgumentException e) {
                throw new InvalidRecordException(ReasonCode.MALFORMED_SESSION, e.getMessage());
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot create the socket directory " + socketDir + ": " + e, e);
            }
            return;
        }
        if (s.getSealedCredential() == null) {
            throw new InvalidRecordException(
                    ReasonCode.MALFORMED_SESSION,
                    "session " + s.getSessionId() + " carries no sealed credential for its source relay");
        }
        String credential;
        try {
            credential = open(s);
        } catch (GeneralSecurityException e) {
            throw new InvalidRecordException(
                    ReasonCode.CREDENTIAL_UNREADABLE,
                    "the credential of session " + s.getSessionId() + " was not sealed to " + hostId
                            + "'s relay certificate: " + e.getMessage());
        }
        long cap = s.getBandwidthBytesPerSecond() == null ? 0 : s.getBandwidthBytesPerSecond();
        relay.openOutgoing(new Relay.Outgoing(
                        s.getSessionId(),
                        s.getMigrationId(),
                        s.getDestinationHost(),
                        credential,
                        s.getDestinationRelay(),
                        endpoint(s.getSessionId()),
                        cap,
                        expires))
                .onFailure(e ->
                        LOG.warn("session {}: cannot open its local endpoint: {}", s.getSessionId(), e.getMessage()));
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
