package io.vmflow.relay.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay-to-relay stream is framed, both ways: each chunk is a 4-byte length and its bytes, and
 * the end of a direction is a frame of length 0, so the end travels in order with the data. Ends are
 * taken from sockets' end handlers only: Vert.x 5 runs a close handler as soon as the connection
 * closes, before the data a paused socket still queues (which cut streams short). A tunnel that
 * closes before both end frames is a cut stream: the hypervisor's side is closed abruptly so that the
 * migration fails loudly, never silently short.
 */
final class Frames {

    private static final Logger LOG = LoggerFactory.getLogger(Frames.class);
    static final int MAX_FRAME = 1 << 20;

    private Frames() {}

    /**
     * Joins the local hypervisor's socket and the TLS socket to the other relay, both ways framed:
     * the migration stream one way, QEMU's return path the other. Each direction ends with its end
     * frame; the stream is whole when both did, and cut if the TLS connection goes before that. The
     * hypervisor is paused while the TLS socket's queue is full and while it is ahead of the
     * bandwidth cap (0: none); the TLS socket while the hypervisor's queue is full. What either
     * socket held before the join is delivered first. Buffers go through as Netty read them.
     *
     * @param outgoing this relay is the source: the stream's bytes are what its hypervisor sends
     */
    static void join(Vertx vertx, RawSocket hypervisor, RawSocket relay, Stream stream, boolean outgoing, long cap) {
        boolean[] sent = {false};
        boolean[] received = {false};
        Runnable maybeWhole = () -> {
            if (sent[0] && received[0] && !stream.ended()) {
                stream.complete();
                relay.socket.close();
            }
        };
        ByteBufAllocator alloc = relay.alloc();
        // hypervisor -> other relay
        Pacing pacing = new Pacing(vertx, hypervisor, cap);
        Consumer<ByteBuf> up = b -> {
            if (stream.ended()) {
                b.release();
                return;
            }
            int n = b.readableBytes();
            if (outgoing) {
                stream.carried(n);
            }
            // header and payload as one composite write: nothing copied, and one flush (one run of TLS
            // records, one syscall) per read; Vert.x flushes every write made outside the socket's own read
            while (b.readableBytes() > MAX_FRAME) {
                relay.write(frame(alloc, b.readRetainedSlice(MAX_FRAME)));
            }
            relay.write(frame(alloc, b));
            if (relay.socket.writeQueueFull()) {
                pacing.hold(Pacing.QUEUE);
                relay.socket.drainHandler(v -> pacing.release(Pacing.QUEUE));
            }
            pacing.account(n);
        };
        Runnable upEnd = () -> {
            if (!sent[0] && !stream.ended()) {
                sent[0] = true;
                relay.write(alloc.buffer(4).writeInt(0)).onComplete(x -> {
                    if (x.succeeded()) {
                        maybeWhole.run();
                    } else {
                        stream.cut(outgoing ? "REMOTE_CLOSED" : "CUT");
                    }
                });
            }
        };
        hypervisor.socket.exceptionHandler(e -> {
            LOG.warn("session {}: the hypervisor's socket failed: {}", stream.sessionId, e.toString());
            stream.cut("HYPERVISOR_ERROR");
        });
        // other relay -> hypervisor: a state machine over the frames, payload slices written as they come
        int[] header = {0, 0}; // the header's bytes so far, and how many
        int[] remaining = {-1}; // bytes left in the current frame's payload; -1: reading a header
        Last lastWrite = new Last(); // the last payload write, so that the end waits for it (event loop only)
        Consumer<ByteBuf> down = b -> {
            try {
                while (b.isReadable() && !received[0] && !stream.ended()) {
                    if (remaining[0] < 0) {
                        while (header[1] < 4 && b.isReadable()) {
                            header[0] = (header[0] << 8) | b.readUnsignedByte();
                            header[1]++;
                        }
                        if (header[1] < 4) {
                            break;
                        }
                        int len = header[0];
                        header[0] = 0;
                        header[1] = 0;
                        if (len < 0 || len > MAX_FRAME) {
                            String text = new String(
                                            new byte[] {
                                                (byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len
                                            },
                                            StandardCharsets.US_ASCII)
                                    + b.toString(
                                            b.readerIndex(),
                                            Math.min(56, b.readableBytes()),
                                            StandardCharsets.US_ASCII);
                            if (outgoing
                                    && text.startsWith("REFUSED ")) { // the destination relay's answer to our preamble
                                String why = text.substring(8).split("\\s")[0];
                                LOG.warn(
                                        "session {}: the destination relay refused the stream: {}",
                                        stream.sessionId,
                                        why);
                                stream.cut("REFUSED_" + why);
                                return;
                            }
                            LOG.warn("session {}: bad frame length {}; cutting the stream", stream.sessionId, len);
                            stream.cut("BAD_FRAME");
                            return;
                        }
                        if (len == 0) {
                            received[0] = true;
                            // closing at once would drop what still waits in the socket's outbound buffer
                            lastWrite.write.onComplete(x -> {
                                hypervisor.socket.end();
                                maybeWhole.run();
                            });
                            break;
                        }
                        remaining[0] = len;
                    } else {
                        int take = Math.min(remaining[0], b.readableBytes());
                        if (!outgoing) {
                            stream.carried(take);
                        }
                        lastWrite.write = hypervisor.write(b.readRetainedSlice(take));
                        remaining[0] -= take;
                        if (remaining[0] == 0) {
                            remaining[0] = -1;
                        }
                    }
                }
            } finally {
                b.release();
            }
            if (hypervisor.socket.writeQueueFull()) {
                relay.pause();
                hypervisor.socket.drainHandler(v -> relay.resume());
            }
        };
        Runnable downClosedEarly = () -> {
            if (!(sent[0] && received[0]) && !stream.ended()) {
                LOG.warn(
                        "session {}: the tunnel closed before the stream's end; closing the hypervisor's side",
                        stream.sessionId);
                stream.cut(outgoing ? "REMOTE_CLOSED" : "CUT");
            }
        };
        relay.socket.exceptionHandler(e -> LOG.warn("session {}: tunnel error: {}", stream.sessionId, e.toString()));
        // the ends come after the last byte (RawSocket), not from close handlers: Vert.x 5 runs a socket's
        // close handler as soon as the connection closes, before the data still queued in a paused socket
        relay.handlers(down, downClosedEarly);
        hypervisor.handlers(up, upEnd);
        pacing.resumeUnlessHeld();
        relay.resume();
    }

    private static ByteBuf frame(ByteBufAllocator alloc, ByteBuf payload) {
        return alloc.compositeDirectBuffer(2)
                .addComponents(true, alloc.directBuffer(4).writeInt(payload.readableBytes()), payload);
    }

    /** Pauses a socket for several independent reasons and resumes it when none is left. */
    private static final class Pacing {
        static final int QUEUE = 1;
        static final int CAP = 2;
        private final Vertx vertx;
        private final RawSocket socket;
        private final long cap;
        private final long startNanos = System.nanoTime();
        private long sent;
        private int holds;

        Pacing(Vertx vertx, RawSocket socket, long cap) {
            this.vertx = vertx;
            this.socket = socket;
            this.cap = cap;
        }

        void hold(int reason) {
            if (holds == 0) {
                socket.pause();
            }
            holds |= reason;
        }

        void release(int reason) {
            if (holds != 0 && (holds &= ~reason) == 0) {
                socket.resume();
            }
        }

        /** Resumes the socket (paused while the tunnel was being set up) unless something holds it. */
        void resumeUnlessHeld() {
            if (holds == 0) {
                socket.resume();
            }
        }

        /** Past the cap, hold the socket until the time those bytes were due. */
        void account(int n) {
            if (cap <= 0) {
                return;
            }
            sent += n;
            long aheadMs = (sent * 1_000L / cap) - (System.nanoTime() - startNanos) / 1_000_000L;
            if (aheadMs > 10 && (holds & CAP) == 0) {
                hold(CAP);
                vertx.setTimer(aheadMs, t -> release(CAP));
            }
        }
    }

    /** A holder a lambda can reassign: no atomics, it lives on one event loop. */
    private static final class Last {
        Future<Void> write = Future.succeededFuture();
    }
}
