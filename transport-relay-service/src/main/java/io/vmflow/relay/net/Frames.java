package io.vmflow.relay.net;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay-to-relay stream is framed: each chunk is a 4-byte length and its bytes, and the end of
 * the stream is a frame of length 0. The end is thus part of the data, in order, whatever the
 * sockets' end and close events do (with Vert.x 5.0.8 and TLS, a paused socket could report its end
 * before its last data, which cut streams). A connection that closes before the end frame is a cut
 * stream: the hypervisor's side is closed abruptly so that the migration fails loudly, never
 * silently short.
 */
final class Frames {

    private static final Logger LOG = LoggerFactory.getLogger(Frames.class);
    static final int MAX_FRAME = 1 << 20;

    private Frames() {
    }

    /** Source side: the hypervisor's bytes into frames on the TLS socket, with backpressure. */
    static void send(NetSocket hypervisor, NetSocket relay, AtomicLong bytes, Runnable onDone) {
        hypervisor.handler(b -> {
            bytes.addAndGet(b.length());
            relay.write(Buffer.buffer(4 + b.length()).appendInt(b.length()).appendBuffer(b));
            if (relay.writeQueueFull()) {
                hypervisor.pause();
                relay.drainHandler(v -> hypervisor.resume());
            }
        });
        boolean[] done = {false};
        Runnable end = () -> {
            if (!done[0]) {
                done[0] = true;
                relay.write(Buffer.buffer(4).appendInt(0));
                onDone.run();
            }
        };
        hypervisor.endHandler(v -> end.run());
        hypervisor.closeHandler(v -> end.run());
        hypervisor.exceptionHandler(e -> {
            LOG.warn("hypervisor stream failed: {}", e.toString());
            hypervisor.close();
            relay.close();
        });
    }

    /** Destination side: frames from the TLS socket into the hypervisor's socket, with backpressure. */
    static void receive(NetSocket relay, Buffer first, boolean closedAlready, NetSocket hypervisor, AtomicLong bytes,
            String sessionId, Runnable onCut) {
        Buffer[] pending = {Buffer.buffer()};
        boolean[] ended = {false};
        java.util.function.Consumer<Buffer> feed = b -> {
            Buffer p = pending[0].appendBuffer(b);
            int pos = 0;
            while (!ended[0] && p.length() - pos >= 4) {
                int len = p.getInt(pos);
                if (len < 0 || len > MAX_FRAME) {
                    LOG.warn("session {}: bad frame length {}; cutting the stream", sessionId, len);
                    ended[0] = true;
                    relay.close();
                    hypervisor.close();
                    onCut.run();
                    return;
                }
                if (len == 0) {
                    ended[0] = true;
                    pos += 4;
                    hypervisor.end();
                    relay.close();
                    break;
                }
                if (p.length() - pos - 4 < len) {
                    break;
                }
                bytes.addAndGet(len);
                hypervisor.write(p.getBuffer(pos + 4, pos + 4 + len));
                pos += 4 + len;
            }
            pending[0] = p.getBuffer(pos, p.length());
            if (!ended[0] && hypervisor.writeQueueFull()) {
                relay.pause();
                hypervisor.drainHandler(v -> relay.resume());
            }
        };
        relay.handler(feed::accept);
        relay.closeHandler(v -> {
            if (!ended[0]) {
                ended[0] = true;
                LOG.warn("session {}: the stream was cut before its end frame; closing the hypervisor's side", sessionId);
                hypervisor.close();
                onCut.run();
            }
        });
        relay.exceptionHandler(e -> LOG.warn("session {}: relay stream error: {}", sessionId, e.toString()));
        if (first.length() > 0) {
            feed.accept(first);
        }
        if (closedAlready && !ended[0]) {
            ended[0] = true;
            LOG.warn("session {}: the stream was cut before its end frame; closing the hypervisor's side", sessionId);
            hypervisor.close();
            onCut.run();
        }
        relay.resume();
    }
}
