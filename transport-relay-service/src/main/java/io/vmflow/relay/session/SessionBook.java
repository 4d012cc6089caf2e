package io.vmflow.relay.session;

import io.vmflow.schemas.reasons.ReasonCode;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions a relay knows and whether each has been used. Opening is idempotent (the same session
 * again is fine; a different one under the same id is refused); claiming checks everything a stream
 * must prove and marks the session used, so a credential works once.
 */
public final class SessionBook {

    /** Why a stream was refused; constants that metrics count. */
    public enum Refusal {
        UNKNOWN_SESSION,
        WRONG_HOST,
        WRONG_CREDENTIAL,
        EXPIRED,
        ALREADY_USED,
        NOT_HERE;

        /** The contract's reason code of this refusal. */
        public ReasonCode code() {
            return ReasonCode.valueOf(name());
        }
    }

    /** The outcome of a claim: the session, or why not. */
    public record Claim(Session session, Refusal refusal) {
        public boolean ok() {
            return session != null;
        }
    }

    private final String hostId;
    private final Clock clock;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, Boolean> used = new ConcurrentHashMap<>();

    public SessionBook(String hostId, Clock clock) {
        this.hostId = hostId;
        this.clock = clock;
    }

    public void open(Session s) {
        Session before = sessions.putIfAbsent(s.id(), s);
        if (before != null
                && !(before.target().equals(s.target())
                        && before.sourceHost().equals(s.sourceHost())
                        && Arrays.equals(before.credentialSha256(), s.credentialSha256()))) {
            throw new IllegalArgumentException("session " + s.id() + " is already open with other parameters");
        }
    }

    public void close(String sessionId) {
        sessions.remove(sessionId);
    }

    /** The migration a session id belongs to, or null when it is unknown here. */
    public String migrationOf(String sessionId) {
        Session s = sessions.get(sessionId);
        return s == null ? null : s.migrationId();
    }

    /** Forgets sessions expired for longer than {@code graceMs} (their ids stay refused as unknown). */
    public void forgetExpired(long graceMs) {
        java.time.Instant horizon = clock.instant().minusMillis(graceMs);
        sessions.values().removeIf(s -> s.expiresAt().isBefore(horizon));
        used.keySet().removeIf(id -> !sessions.containsKey(id));
    }

    /** Checks a stream's claim to a session; a successful claim uses the session up. */
    public synchronized Claim claim(String sessionId, String credential, String peerHost) {
        Session s = sessions.get(sessionId);
        if (s == null) {
            return new Claim(null, Refusal.UNKNOWN_SESSION);
        }
        if (!s.destinationHost().equals(hostId)) {
            return new Claim(null, Refusal.NOT_HERE);
        }
        if (!s.sourceHost().equals(peerHost)) {
            return new Claim(null, Refusal.WRONG_HOST);
        }
        if (!MessageDigest.isEqual(sha256(credential), s.credentialSha256())) {
            return new Claim(null, Refusal.WRONG_CREDENTIAL);
        }
        if (clock.instant().isAfter(s.expiresAt())) {
            return new Claim(null, Refusal.EXPIRED);
        }
        if (used.putIfAbsent(sessionId, Boolean.TRUE) != null) {
            return new Claim(null, Refusal.ALREADY_USED);
        }
        return new Claim(s, null);
    }

    public static byte[] sha256(String credential) {
        return io.vmflow.runtime.security.CredentialSeal.digest(credential);
    }
}
