package io.vmflow.relay.net;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
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

    private Frames() {
    }


    /**
     * Joins the local hypervisor's socket and the TLS socket to the other relay, both ways framed:
     * the migration stream one way, QEMU's return path the other. Each direction ends with its end
     * frame; the stream is whole when both did, and cut if the TLS connection goes before that. The
     * hypervisor is paused while the TLS socket's queue is full and while it is ahead of the
     * bandwidth cap (0: none); the TLS socket while the hypervisor's queue is full.
     *
     * @param outgoing    this relay is the source: the stream's bytes are what its hypervisor sends
     * @param heldUp      bytes the hypervisor sent before the join (and whether it ended already)
     * @param heldDown    bytes the other relay sent before the join (and whether it closed already)
     */
    static void join(Vertx vertx, NetSocket hypervisor, NetSocket relay, Stream stream, boolean outgoing, long cap,
            Buffer heldUp, boolean upEnded, Buffer heldDown, boolean downClosed) {
        boolean[] sent = {false};
        boolean[] received = {false};
        Runnable maybeWhole = () -> {
            if (sent[0] && received[0] && !stream.ended()) {
                stream.complete();
                relay.close();
            }
        };
        // hypervisor -> other relay
        Pacing pacing = new Pacing(vertx, hypervisor, cap);
        Consumer<Buffer> up = b -> {
            if (outgoing) {
                stream.carried(b.length());
            }
            // header and payload as two writes: the TLS layer coalesces them, the payload is not copied
            for (int off = 0; off < b.length(); off += MAX_FRAME) {
                Buffer chunk = off == 0 && b.length() <= MAX_FRAME ? b
                        : b.slice(off, Math.min(b.length(), off + MAX_FRAME));
                relay.write(Buffer.buffer(4).appendInt(chunk.length()));
                relay.write(chunk);
            }
            if (relay.writeQueueFull()) {
                pacing.hold(Pacing.QUEUE);
                relay.drainHandler(v -> pacing.release(Pacing.QUEUE));
            }
            pacing.account(b.length());
        };
        Runnable upEnd = () -> {
            if (!sent[0] && !stream.ended()) {
                sent[0] = true;
                relay.write(Buffer.buffer(4).appendInt(0)).onComplete(x -> {
                    if (x.succeeded()) {
                        maybeWhole.run();
                    } else {
                        stream.cut(outgoing ? "REMOTE_CLOSED" : "CUT");
                    }
                });
            }
        };
        hypervisor.handler(up::accept);
        // the end handler, not the close handler: Vert.x 5 calls a socket's close handler as soon as the
        // connection closes, before the data still queued in a paused socket; the end comes after it
        hypervisor.endHandler(v -> upEnd.run());
        hypervisor.exceptionHandler(e -> {
            LOG.warn("session {}: the hypervisor's socket failed: {}", stream.sessionId, e.toString());
            stream.cut("HYPERVISOR_ERROR");
        });
        // other relay -> hypervisor: a state machine over the frames, payload slices written as they come
        Buffer[] head = {Buffer.buffer(4)};
        int[] remaining = {-1}; // bytes left in the current frame's payload; -1: reading a header
        @SuppressWarnings("unchecked")
        io.vertx.core.Future<Void>[] lastWrite = new io.vertx.core.Future[] {io.vertx.core.Future.succeededFuture()};
        Consumer<Buffer> down = b -> {
            int pos = 0;
            int n = b.length();
            while (pos < n && !received[0] && !stream.ended()) {
                if (remaining[0] < 0) {
                    Buffer header = head[0];
                    int take = Math.min(4 - header.length(), n - pos);
                    header.appendBuffer(b, pos, take);
                    pos += take;
                    if (header.length() < 4) {
                        break;
                    }
                    int len = header.getInt(0);
                    if (len < 0 || len > MAX_FRAME) {
                        String text = header.appendBuffer(b, pos, Math.min(60, n - pos)).toString("US-ASCII");
                        if (outgoing && text.startsWith("REFUSED ")) { // the destination relay's answer to our preamble
                            String why = text.substring(8).split("\\s")[0];
                            LOG.warn("session {}: the destination relay refused the stream: {}", stream.sessionId, why);
                            stream.cut("REFUSED_" + why);
                            return;
                        }
                        LOG.warn("session {}: bad frame length {}; cutting the stream", stream.sessionId, len);
                        stream.cut("BAD_FRAME");
                        return;
                    }
                    head[0] = Buffer.buffer(4);
                    if (len == 0) {
                        received[0] = true;
                        // closing at once would drop what still waits in the socket's outbound buffer
                        lastWrite[0].onComplete(x -> {
                            hypervisor.end();
                            maybeWhole.run();
                        });
                        break;
                    }
                    remaining[0] = len;
                } else {
                    int take = Math.min(remaining[0], n - pos);
                    if (!outgoing) {
                        stream.carried(take);
                    }
                    lastWrite[0] = hypervisor.write(take == n ? b : b.slice(pos, pos + take));
                    pos += take;
                    remaining[0] -= take;
                    if (remaining[0] == 0) {
                        remaining[0] = -1;
                    }
                }
            }
            if (hypervisor.writeQueueFull()) {
                relay.pause();
                hypervisor.drainHandler(v -> relay.resume());
            }
        };
        Runnable downClosedEarly = () -> {
            if (!(sent[0] && received[0]) && !stream.ended()) {
                LOG.warn("session {}: the tunnel closed before the stream's end; closing the hypervisor's side",
                        stream.sessionId);
                stream.cut(outgoing ? "REMOTE_CLOSED" : "CUT");
            }
        };
        relay.handler(down::accept);
        relay.endHandler(v -> downClosedEarly.run());
        relay.exceptionHandler(e -> LOG.warn("session {}: tunnel error: {}", stream.sessionId, e.toString()));
        if (heldDown.length() > 0) {
            down.accept(heldDown);
        }
        if (heldUp.length() > 0) {
            up.accept(heldUp);
        }
        if (upEnded) {
            upEnd.run();
        }
        if (downClosed) {
            downClosedEarly.run();
        }
        pacing.resumeUnlessHeld();
        relay.resume();
    }

    /** Pauses a socket for several independent reasons and resumes it when none is left. */
    private static final class Pacing {
        static final int QUEUE = 1;
        static final int CAP = 2;
        private final Vertx vertx;
        private final NetSocket socket;
        private final long cap;
        private final long startNanos = System.nanoTime();
        private long sent;
        private int holds;

        Pacing(Vertx vertx, NetSocket socket, long cap) {
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
}
