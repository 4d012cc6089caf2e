package io.vmflow.relay.net;

import io.netty.buffer.CompositeByteBuf;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vmflow.relay.session.Session;
import io.vmflow.relay.session.SessionBook;
import io.vmflow.schemas.reasons.ReasonCode;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination side of a relay: a stream another host's relay sends to the public TLS port starts
 * with a preamble line {@code VMFLOW/1 <session> <credential>} and is accepted only for a session the
 * control plane opened, from the host named in the session (its certificate's CN), with the right
 * single-use credential, before expiry; then it is delivered to the session's target (the local
 * hypervisor's incoming endpoint) with backpressure. Nothing reaches a target before every check passed.
 */
final class Inbound {

    private static final Logger LOG = LoggerFactory.getLogger(Inbound.class);
    private static final int MAX_PREAMBLE = 512;
    private static final long PREAMBLE_TIMEOUT_MS = 5000;

    private final Vertx vertx;
    private final SessionBook book;
    private final Streams streams;
    private final NetClient plainClient;

    Inbound(Vertx vertx, SessionBook book, Streams streams) {
        this.vertx = vertx;
        this.book = book;
        this.streams = streams;
        this.plainClient = vertx.createNetClient();
    }

    /** A connection to the public TLS port (the handshake, with a client certificate, is done). */
    void connected(NetSocket socket) {
        RawSocket raw = new RawSocket(socket);
        String address = String.valueOf(socket.remoteAddress());
        if (streams.shuttingDown()) {
            streams.refuse(raw, address, null, null, ReasonCode.SHUTTING_DOWN);
            return;
        }
        String peer = Relay.peerHost(socket);
        if (peer == null) {
            // TLS checked the chain; a certificate that is not a vmflow relay's names no host
            streams.refuse(raw, address, null, null, ReasonCode.NO_CLIENT_CERTIFICATE);
            return;
        }
        readPreamble(raw, peer);
    }

    private void readPreamble(RawSocket raw, String peer) {
        CompositeByteBuf preamble = raw.alloc().compositeBuffer(Integer.MAX_VALUE);
        boolean[] over = {false}; // the preamble was answered (accepted, refused) or the client went
        Runnable give = () -> {
            over[0] = true;
            preamble.release();
        };
        long timer = vertx.setTimer(PREAMBLE_TIMEOUT_MS, t -> {
            if (!over[0]) {
                give.run();
                streams.refuse(raw, peer, null, null, ReasonCode.PREAMBLE_TIMEOUT);
            }
        });
        raw.handlers(
                b -> {
                    if (over[0]) {
                        b.release();
                        return;
                    }
                    preamble.addComponent(true, b);
                    int nl = preamble.indexOf(preamble.readerIndex(), preamble.writerIndex(), (byte) '\n');
                    if (nl < 0) {
                        if (preamble.readableBytes() > MAX_PREAMBLE) {
                            vertx.cancelTimer(timer);
                            give.run();
                            streams.refuse(raw, peer, null, null, ReasonCode.BAD_PREAMBLE);
                        }
                        return;
                    }
                    vertx.cancelTimer(timer);
                    over[0] = true;
                    String[] words = preamble.toString(
                                    preamble.readerIndex(), nl - preamble.readerIndex(), StandardCharsets.US_ASCII)
                            .trim()
                            .split(" ");
                    preamble.readerIndex(nl + 1); // what follows the line is the stream's first bytes
                    if (words.length != 3 || !words[0].equals(Relay.PROTOCOL)) {
                        preamble.release();
                        streams.refuse(raw, peer, null, null, ReasonCode.BAD_PREAMBLE);
                        return;
                    }
                    SessionBook.Claim claim = book.claim(words[1], words[2], peer);
                    if (!claim.ok()) {
                        preamble.release();
                        String migration = book.migrationOf(words[1]);
                        LOG.warn(
                                "refused a stream from {} for session {}: {}",
                                peer,
                                printable(words[1]),
                                claim.refusal());
                        streams.refuse(
                                raw,
                                peer,
                                printable(words[1]),
                                migration,
                                claim.refusal().code());
                        return;
                    }
                    raw.holdFromNow(preamble);
                    deliver(raw, claim.session());
                },
                () -> {
                    if (!over[0]) {
                        vertx.cancelTimer(timer);
                        give.run();
                    }
                });
    }

    private void deliver(RawSocket tunnel, Session session) {
        plainClient
                .connect(Relay.endpoint(session.target()))
                .onSuccess(hypervisor -> {
                    streams.accepted.incrementAndGet();
                    Stream stream = streams.track(
                            session.id(),
                            session.migrationId(),
                            Stream.Side.DESTINATION,
                            session.sourceHost(),
                            streams.bytesIn);
                    stream.sockets(hypervisor, tunnel.socket);
                    LOG.info("session {}: stream accepted, delivering to {}", session.id(), session.target());
                    Frames.join(vertx, new RawSocket(hypervisor), tunnel, stream, false, 0);
                })
                .onFailure(e -> {
                    LOG.warn("session {}: target {} unreachable: {}", session.id(), session.target(), e.getMessage());
                    streams.refuse(
                            tunnel,
                            session.sourceHost(),
                            session.id(),
                            session.migrationId(),
                            ReasonCode.TARGET_UNREACHABLE);
                });
    }

    void close() {
        plainClient.close();
    }

    private static String printable(String s) {
        return s.length() > 80 || !s.matches("[\\x21-\\x7e]*") ? "(unprintable)" : s;
    }
}
