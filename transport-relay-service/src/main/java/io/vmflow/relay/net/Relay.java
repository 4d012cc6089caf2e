package io.vmflow.relay.net;

import io.netty.buffer.CompositeByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vmflow.relay.session.Session;
import io.vmflow.relay.session.SessionBook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One host's transport relay. Its single TLS port accepts tunnelled streams from other hosts'
 * relays: each starts with a preamble line {@code VMFLOW/1 <session> <credential>} and is accepted
 * only for a session the control plane opened, from the host named in the session (its certificate's
 * CN), with the right single-use credential, before expiry; then it is delivered to the session's
 * target (the local hypervisor's incoming endpoint) with backpressure. For outgoing streams it opens
 * a local endpoint per session (a unix socket, or a loopback port) where the local hypervisor sends
 * its migration stream, and checks that the relay it reaches is the destination host's. Nothing
 * reaches a target before every check passed.
 */
public final class Relay implements AutoCloseable {

    /** What a relay tells about its sessions and refusals (tunnel reports, metrics). */
    public interface Listener {
        /** peer: the host at the other end of the tunnel. */
        default void opened(String sessionId, String migrationId, String peer, String endpoint) {
        }

        default void firstByte(String sessionId, String migrationId, String peer) {
        }

        /** reason null: the stream ended whole. */
        default void closed(String sessionId, String migrationId, String peer, long bytes, String reason) {
        }

        default void refused(String peer, String sessionId, String migrationId, String reason) {
        }
    }

    /**
     * An outgoing session: where the local hypervisor connects, and where its stream goes.
     *
     * @param listen             "unix:/path" or "127.0.0.1:port" (port 0: any)
     * @param destinationRelay   host:port of the destination relay's TLS port
     * @param capBytesPerSecond  bandwidth cap, 0 for none
     * @param expiresAt          the endpoint closes then if no stream came
     */
    public record Outgoing(String sessionId, String migrationId, String destinationHost, String credential,
            String destinationRelay, String listen, long capBytesPerSecond, java.time.Instant expiresAt) {
        @Override
        public String toString() {
            return "Outgoing[" + sessionId + " to " + destinationHost + " at " + destinationRelay + "]"; // no credential
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);
    static final String PROTOCOL = "VMFLOW/1";
    private static final int MAX_PREAMBLE = 512;
    private static final long PREAMBLE_TIMEOUT_MS = 5000;

    private final Vertx vertx;
    private final SessionBook book;
    private final Listener listener;
    private final NetClient tlsClient;
    private final NetClient plainClient;
    private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
    private final Map<String, Local> outgoing = new ConcurrentHashMap<>();
    private final Map<String, Stream> live = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong streamsAccepted = new AtomicLong();
    private final AtomicLong streamsCut = new AtomicLong();
    private final AtomicLong streamsCompleted = new AtomicLong();
    private final Tls tls;
    private NetServer server;
    private volatile boolean shuttingDown;

    public Relay(Vertx vertx, Tls tls, SessionBook book) {
        this(vertx, tls, book, new Listener() { });
    }

    public Relay(Vertx vertx, Tls tls, SessionBook book, Listener listener) {
        this.vertx = vertx;
        this.tls = tls;
        this.book = book;
        this.listener = listener;
        this.tlsClient = vertx.createNetClient(tls.client());
        this.plainClient = vertx.createNetClient();
    }

    /** Listens on the public TLS port; returns the bound port. */
    public Future<Integer> listen(String host, int port) {
        server = vertx.createNetServer(tls.server());
        server.connectHandler(this::incoming);
        return server.listen(port, host).map(NetServer::actualPort);
    }

    // --- destination side -----------------------------------------------------------------------------

    /** Registers a session this relay is the destination of (idempotent). */
    public void accept(Session s) {
        book.open(s);
        listener.opened(s.id(), s.migrationId(), s.sourceHost(), s.target());
    }

    private void incoming(NetSocket socket) {
        RawSocket raw = new RawSocket(socket);
        String address = String.valueOf(socket.remoteAddress());
        if (shuttingDown) {
            refuse(raw, address, null, null, "SHUTTING_DOWN");
            return;
        }
        String peer;
        try {
            peer = commonName((X509Certificate) socket.peerCertificates().get(0));
        } catch (Exception e) {
            refuse(raw, address, null, null, "NO_CLIENT_CERTIFICATE");
            return;
        }
        CompositeByteBuf preamble = raw.alloc().compositeBuffer(Integer.MAX_VALUE);
        boolean[] over = {false}; // the preamble was answered (accepted, refused) or the client went
        Runnable give = () -> {
            over[0] = true;
            preamble.release();
        };
        long timer = vertx.setTimer(PREAMBLE_TIMEOUT_MS, t -> {
            if (!over[0]) {
                give.run();
                refuse(raw, peer, null, null, "PREAMBLE_TIMEOUT");
            }
        });
        raw.handlers(b -> {
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
                    refuse(raw, peer, null, null, "BAD_PREAMBLE");
                }
                return;
            }
            vertx.cancelTimer(timer);
            over[0] = true;
            String[] words = preamble.toString(preamble.readerIndex(), nl - preamble.readerIndex(),
                    StandardCharsets.US_ASCII).trim().split(" ");
            preamble.readerIndex(nl + 1); // what follows the line is the stream's first bytes
            if (words.length != 3 || !words[0].equals(PROTOCOL)) {
                preamble.release();
                refuse(raw, peer, null, null, "BAD_PREAMBLE");
                return;
            }
            SessionBook.Claim claim = book.claim(words[1], words[2], peer);
            if (!claim.ok()) {
                preamble.release();
                String migration = book.migrationOf(words[1]);
                LOG.warn("refused a stream from {} for session {}: {}", peer, printable(words[1]), claim.refusal());
                refuse(raw, peer, printable(words[1]), migration, claim.refusal().name());
                return;
            }
            raw.holdFromNow(preamble);
            deliver(raw, claim.session());
        }, () -> {
            if (!over[0]) {
                vertx.cancelTimer(timer);
                give.run();
            }
        });
    }

    private void deliver(RawSocket tunnel, Session session) {
        plainClient.connect(endpoint(session.target()))
                .onSuccess(hypervisor -> {
                    streamsAccepted.incrementAndGet();
                    Stream stream = track(session.id(), session.migrationId(), Stream.Side.DESTINATION, session.sourceHost(),
                            bytesIn);
                    stream.sockets(hypervisor, tunnel.socket);
                    LOG.info("session {}: stream accepted, delivering to {}", session.id(), session.target());
                    Frames.join(vertx, new RawSocket(hypervisor), tunnel, stream, false, 0);
                })
                .onFailure(e -> {
                    LOG.warn("session {}: target {} unreachable: {}", session.id(), session.target(), e.getMessage());
                    refuse(tunnel, session.sourceHost(), session.id(), session.migrationId(), "TARGET_UNREACHABLE");
                });
    }

    // --- source side ----------------------------------------------------------------------------------

    /**
     * Opens the local endpoint of an outgoing session (idempotent): the first connection to it (the
     * local hypervisor's stream) is carried over TLS to the destination relay, which is told the
     * session and the credential. Returns the endpoint ("unix:/path" or "127.0.0.1:port").
     */
    public Future<String> openOutgoing(Outgoing o) {
        if (shuttingDown) {
            return Future.failedFuture("the relay is shutting down and takes no new sessions");
        }
        SocketAddress at = endpoint(o.listen());
        Local existing = outgoing.get(o.sessionId());
        if (existing != null) {
            return existing.ready();
        }
        NetServer local = vertx.createNetServer();
        Promise<String> ready = Promise.promise();
        Local mine = new Local(local, at.isDomainSocket() ? Path.of(at.path()) : null, ready.future());
        if (outgoing.putIfAbsent(o.sessionId(), mine) != null) {
            return openOutgoing(o);
        }
        AtomicBoolean used = new AtomicBoolean();
        local.connectHandler(hypervisor -> {
            if (!used.compareAndSet(false, true)) {
                hypervisor.close(); // one stream per session
                return;
            }
            RawSocket source = new RawSocket(hypervisor); // holds the stream's first bytes until the tunnel is up
            Stream stream = track(o.sessionId(), o.migrationId(), Stream.Side.SOURCE, o.destinationHost(), bytesOut);
            tlsClient.connect(endpoint(o.destinationRelay())).onSuccess(remote -> {
                String peer;
                try {
                    peer = commonName((X509Certificate) remote.peerCertificates().get(0));
                } catch (Exception e) {
                    peer = "?";
                }
                if (!peer.equals(o.destinationHost())) {
                    LOG.warn("session {}: {} answered as {}, not as {}; not sending the stream", o.sessionId(),
                            o.destinationRelay(), peer, o.destinationHost());
                    remote.close();
                    source.discard();
                    stream.sockets(hypervisor, null);
                    stream.cut("WRONG_PEER");
                    return;
                }
                stream.sockets(hypervisor, remote);
                RawSocket tunnel = new RawSocket(remote);
                remote.write(PROTOCOL + " " + o.sessionId() + " " + o.credential() + "\n");
                Frames.join(vertx, source, tunnel, stream, true, o.capBytesPerSecond());
            }).onFailure(e -> {
                LOG.warn("session {}: cannot reach the destination relay {}: {}", o.sessionId(), o.destinationRelay(),
                        e.getMessage());
                source.discard();
                stream.sockets(hypervisor, null);
                stream.cut("DESTINATION_RELAY_UNREACHABLE");
            });
        });
        if (mine.path() != null) {
            try {
                Files.createDirectories(mine.path().getParent());
                Files.deleteIfExists(mine.path());
            } catch (IOException e) {
                outgoing.remove(o.sessionId());
                ready.fail("cannot prepare " + at.path() + ": " + e.getMessage());
                return ready.future();
            }
        }
        local.listen(at).map(s -> {
            String endpoint = localEndpoint(o.listen(), s);
            long ttl = Math.max(1, o.expiresAt().toEpochMilli() - System.currentTimeMillis());
            vertx.setTimer(ttl, t -> {
                if (!used.get() && outgoing.remove(o.sessionId(), mine)) {
                    LOG.info("session {}: expired before the hypervisor connected; endpoint closed", o.sessionId());
                    mine.close();
                }
            });
            listener.opened(o.sessionId(), o.migrationId(), o.destinationHost(), endpoint);
            return endpoint;
        }).onComplete(ready).onFailure(e -> outgoing.remove(o.sessionId(), mine));
        return ready.future();
    }

    /** A session's local endpoint: its server, its socket file (if a unix socket), when it is listening. */
    private record Local(NetServer server, Path path, Future<String> ready) {
        void close() {
            server.close().onComplete(x -> {
                if (path != null) {
                    try {
                        Files.deleteIfExists(path);
                    } catch (IOException e) {
                        LOG.warn("cannot remove {}: {}", path, e.getMessage());
                    }
                }
            });
        }
    }

    /**
     * Ends a session on this relay: no new stream for it, its local endpoint goes, and a stream
     * still running is cut (the control plane closes a session when its migration ended or failed).
     */
    public void closeSession(String sessionId) {
        book.close(sessionId);
        Local local = outgoing.remove(sessionId);
        if (local != null) {
            local.close();
        }
        Stream s = live.get(sessionId);
        if (s != null) {
            s.cut("SESSION_CLOSED");
        }
    }

    // --- shared -----------------------------------------------------------------------------------------

    private Stream track(String sessionId, String migrationId, Stream.Side side, String peer, AtomicLong total) {
        Stream[] self = new Stream[1];
        Listener counting = new Listener() {
            @Override
            public void firstByte(String s, String m, String sd) {
                listener.firstByte(s, m, sd);
            }

            @Override
            public void closed(String s, String m, String sd, long bytes, String reason) {
                (reason == null ? streamsCompleted : streamsCut).incrementAndGet();
                listener.closed(s, m, sd, bytes, reason);
            }
        };
        self[0] = new Stream(sessionId, migrationId, side, peer, counting, total, () -> {
            live.remove(sessionId, self[0]);
            if (shuttingDown && live.isEmpty()) {
                drained.complete(null);
            }
            Local local = outgoing.remove(sessionId);
            if (local != null) {
                local.close();
            }
        });
        live.put(sessionId, self[0]);
        return self[0];
    }

    private void refuse(RawSocket socket, String peer, String sessionId, String migrationId, String reason) {
        refused.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
        listener.refused(peer, sessionId, migrationId, reason);
        socket.discard();
        socket.socket.write("REFUSED " + reason + "\n").onComplete(x -> socket.socket.close());
    }

    /** "unix:/path" or "host:port". */
    public static SocketAddress endpoint(String e) {
        if (e.startsWith("unix:")) {
            return SocketAddress.domainSocketAddress(e.substring("unix:".length()));
        }
        int colon = e.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("endpoint '" + e + "' is neither unix:/path nor host:port");
        }
        return SocketAddress.inetSocketAddress(Integer.parseInt(e.substring(colon + 1)), e.substring(0, colon));
    }

    private static String localEndpoint(String asked, NetServer s) {
        return asked.startsWith("unix:") ? asked : asked.substring(0, asked.lastIndexOf(':') + 1) + s.actualPort();
    }

    /** Refused connections by reason (for metrics and tests). */
    public Map<String, Long> refusals() {
        Map<String, Long> m = new ConcurrentHashMap<>();
        refused.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Bytes carried towards targets (destination side) and towards other relays (source side). */
    public long bytesIn() {
        return bytesIn.get();
    }

    public long bytesOut() {
        return bytesOut.get();
    }

    /** Streams that ended without their end (the hypervisor's side was closed abruptly). */
    public long streamsCut() {
        return streamsCut.get();
    }

    public long streamsCompleted() {
        return streamsCompleted.get();
    }

    public long streamsAccepted() {
        return streamsAccepted.get();
    }

    /** Streams running now, either side. */
    public int streamsLive() {
        return live.size();
    }

    /** Sessions with an open local endpoint (source side). */
    public int outgoingSessions() {
        return outgoing.size();
    }

    /** Forgets sessions that expired more than a minute ago. */
    public void forgetExpired() {
        book.forgetExpired(60_000);
    }

    /**
     * Stops taking new sessions and streams; those running go on until they end. The future
     * completes when none is left.
     */
    public CompletableFuture<Void> drain() {
        shuttingDown = true;
        if (live.isEmpty()) {
            drained.complete(null);
        }
        return drained;
    }

    static String commonName(X509Certificate cert) throws Exception {
        for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
            if (rdn.getType().equalsIgnoreCase("CN")) {
                return rdn.getValue().toString();
            }
        }
        throw new IllegalArgumentException("certificate without CN");
    }

    private static String printable(String s) {
        return s.length() > 80 || !s.matches("[\\x21-\\x7e]*") ? "(unprintable)" : s;
    }


    @Override
    public void close() {
        shuttingDown = true;
        live.values().forEach(s -> s.cut("RELAY_STOPPED"));
        outgoing.values().forEach(Local::close);
        if (server != null) {
            server.close();
        }
        tlsClient.close();
        plainClient.close();
    }
}
