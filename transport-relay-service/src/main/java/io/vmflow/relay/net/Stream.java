package io.vmflow.relay.net;

import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One tunnelled stream as one relay sees it: its bytes, its first byte, and its end, told to the
 * relay's listener exactly once whichever way it ends. {@link #cut} closes both sockets abruptly, so
 * that the hypervisors on either side see a failed migration, never a short one.
 */
final class Stream {

    /** Which end of the tunnel this relay is. */
    enum Side {
        SOURCE,
        DESTINATION
    }

    final String sessionId;
    final String migrationId;
    final Side side;
    /** The host at the other end of the tunnel. */
    final String peer;

    private final Relay.Listener listener;
    private final Runnable onEnd;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong relayTotal;
    private final AtomicBoolean first = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile NetSocket hypervisor;
    private volatile NetSocket remote;

    Stream(
            String sessionId,
            String migrationId,
            Side side,
            String peer,
            Relay.Listener listener,
            AtomicLong relayTotal,
            Runnable onEnd) {
        this.sessionId = sessionId;
        this.migrationId = migrationId;
        this.side = side;
        this.peer = peer;
        this.listener = listener;
        this.relayTotal = relayTotal;
        this.onEnd = onEnd;
    }

    void sockets(NetSocket hypervisor, NetSocket remote) {
        this.hypervisor = hypervisor;
        this.remote = remote;
    }

    void carried(int n) {
        bytes.addAndGet(n);
        relayTotal.addAndGet(n);
        if (n > 0 && first.compareAndSet(false, true)) {
            listener.firstByte(sessionId, migrationId, peer);
        }
    }

    long bytes() {
        return bytes.get();
    }

    boolean ended() {
        return ended.get();
    }

    /** The stream ended whole (its end frame went through). */
    void complete() {
        if (ended.compareAndSet(false, true)) {
            listener.closed(sessionId, migrationId, peer, bytes.get(), null);
            onEnd.run();
        }
    }

    /** The stream failed: both sides are closed abruptly and the reason reported. */
    void cut(String reason) {
        if (ended.compareAndSet(false, true)) {
            NetSocket h = hypervisor;
            NetSocket r = remote;
            if (h != null) {
                h.close();
            }
            if (r != null) {
                r.close();
            }
            listener.closed(sessionId, migrationId, peer, bytes.get(), reason);
            onEnd.run();
        }
    }
}
