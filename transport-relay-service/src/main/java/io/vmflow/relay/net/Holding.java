package io.vmflow.relay.net;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * Holds what a socket sends while the other end of its stream is still being connected. Past a bound
 * the socket is paused (what it still queues, and its end, come after the handover, in order).
 */
final class Holding {

    private static final int BOUND = 4 << 20;

    private final NetSocket socket;
    private final Buffer held = Buffer.buffer();
    private boolean ended;

    Holding(NetSocket socket, Buffer first) {
        this.socket = socket;
        held.appendBuffer(first);
        socket.handler(b -> {
            held.appendBuffer(b);
            if (held.length() > BOUND) {
                socket.pause();
            }
        });
        // not the close handler: it runs before the data a paused socket still queues
        socket.endHandler(v -> ended = true);
    }

    /** What was held so far; the socket's handlers are the caller's from now on. */
    Buffer drain() {
        socket.handler(null);
        return held.copy();
    }

    /** Whether the socket ended or closed while held. */
    boolean ended() {
        return ended;
    }
}
