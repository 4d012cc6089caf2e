package io.vmflow.relay.net;

import io.vmflow.schemas.reasons.ReasonCode;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What both sides of one relay share: the streams running now, the counters, the refusals by reason,
 * the listener they are told to, and whether the relay is shutting down (then it takes nothing new
 * and {@link #drain} completes when the last stream ends).
 */
final class Streams {

    final Relay.Listener listener;
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong cut = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
    private final Map<String, Stream> live = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    /** What else goes when a session's stream ends (its local endpoint, on the source side). */
    private final Consumer<String> sessionEnded;

    private volatile boolean shuttingDown;

    Streams(Relay.Listener listener, Consumer<String> sessionEnded) {
        this.listener = listener;
        this.sessionEnded = sessionEnded;
    }

    /** A new stream of a session, counted in {@code total} and told to the listener. */
    Stream track(String sessionId, String migrationId, Stream.Side side, String peer, AtomicLong total) {
        Stream[] self = new Stream[1];
        Relay.Listener counting = new Relay.Listener() {
            @Override
            public void firstByte(String s, String m, String sd) {
                listener.firstByte(s, m, sd);
            }

            @Override
            public void closed(String s, String m, String sd, long bytes, String reason) {
                (reason == null ? completed : cut).incrementAndGet();
                listener.closed(s, m, sd, bytes, reason);
            }
        };
        self[0] = new Stream(sessionId, migrationId, side, peer, counting, total, () -> {
            live.remove(sessionId, self[0]);
            if (shuttingDown && live.isEmpty()) {
                drained.complete(null);
            }
            sessionEnded.accept(sessionId);
        });
        live.put(sessionId, self[0]);
        return self[0];
    }

    /** Answers a connection with {@code REFUSED <reason>} and closes it; nothing of it reaches anyone. */
    void refuse(RawSocket socket, String peer, String sessionId, String migrationId, ReasonCode code) {
        String reason = code.name();
        refused.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
        listener.refused(peer, sessionId, migrationId, reason);
        socket.discard();
        socket.socket.write("REFUSED " + reason + "\n").onComplete(x -> socket.socket.close());
    }

    /** Cuts a session's running stream, if any. */
    void cut(String sessionId, String reason) {
        Stream s = live.get(sessionId);
        if (s != null) {
            s.cut(reason);
        }
    }

    void cutAll(String reason) {
        shuttingDown = true;
        live.values().forEach(s -> s.cut(reason));
    }

    boolean shuttingDown() {
        return shuttingDown;
    }

    CompletableFuture<Void> drain() {
        shuttingDown = true;
        if (live.isEmpty()) {
            drained.complete(null);
        }
        return drained;
    }

    int live() {
        return live.size();
    }

    Map<String, Long> refusals() {
        Map<String, Long> m = new ConcurrentHashMap<>();
        refused.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }
}
