package io.vmflow.relay.net;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vmflow.relay.session.SessionBook;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * target (the local hypervisor) with backpressure. For outgoing streams it opens a loopback listener
 * per session where the local hypervisor sends its migration stream. Nothing reaches a target before
 * every check passed.
 */
public final class Relay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);
    static final String PROTOCOL = "VMFLOW/1";
    private static final int MAX_PREAMBLE = 512;
    private static final long PREAMBLE_TIMEOUT_MS = 5000;

    private final Vertx vertx;
    private final Tls tls;
    private final SessionBook book;
    private final NetClient tlsClient;
    private final NetClient plainClient;
    private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong streamsAccepted = new AtomicLong();
    private final AtomicLong streamsCut = new AtomicLong();
    private NetServer server;
    private volatile boolean shuttingDown;

    public Relay(Vertx vertx, Tls tls, SessionBook book) {
        this.vertx = vertx;
        this.tls = tls;
        this.book = book;
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

    private void incoming(NetSocket socket) {
        if (shuttingDown) {
            refuse(socket, "SHUTTING_DOWN");
            return;
        }
        String peer;
        try {
            X509Certificate cert = (X509Certificate) socket.peerCertificates().get(0);
            peer = commonName(cert);
        } catch (Exception e) {
            refuse(socket, "NO_CLIENT_CERTIFICATE");
            return;
        }
        Buffer preamble = Buffer.buffer();
        long timer = vertx.setTimer(PREAMBLE_TIMEOUT_MS, t -> refuse(socket, "PREAMBLE_TIMEOUT"));
        socket.handler(b -> {
            preamble.appendBuffer(b);
            int nl = indexOf(preamble, (byte) '\n');
            if (nl < 0) {
                if (preamble.length() > MAX_PREAMBLE) {
                    vertx.cancelTimer(timer);
                    refuse(socket, "BAD_PREAMBLE");
                }
                return;
            }
            vertx.cancelTimer(timer);
            String[] words = preamble.getString(0, nl, StandardCharsets.US_ASCII.name()).trim().split(" ");
            Buffer rest = preamble.getBuffer(nl + 1, preamble.length());
            if (words.length != 3 || !words[0].equals(PROTOCOL)) {
                refuse(socket, "BAD_PREAMBLE");
                return;
            }
            SessionBook.Claim claim = book.claim(words[1], words[2], peer);
            if (!claim.ok()) {
                LOG.warn("refused a stream from {} for session {}: {}", peer, words[1], claim.refusal());
                refuse(socket, claim.refusal().name());
                return;
            }
            deliver(socket, new Holding(socket, rest), claim.session().target(), claim.session().id());
        });
    }

    private void deliver(NetSocket socket, Holding holding, String target, String sessionId) {
        int colon = target.lastIndexOf(':');
        plainClient.connect(Integer.parseInt(target.substring(colon + 1)), target.substring(0, colon))
                .onSuccess(upstream -> {
                    streamsAccepted.incrementAndGet();
                    LOG.info("session {}: stream accepted, delivering to {}", sessionId, target);
                    upstream.pipeTo(socket);
                    socket.pause();
                    Frames.receive(socket, holding.drain(), holding.ended(), upstream, bytesIn, sessionId,
                            streamsCut::incrementAndGet);
                })
                .onFailure(e -> {
                    LOG.warn("session {}: target {} unreachable: {}", sessionId, target, e.getMessage());
                    refuse(socket, "TARGET_UNREACHABLE");
                });
    }

    // --- source side ----------------------------------------------------------------------------------

    /**
     * Opens the loopback listener of an outgoing session: the first connection to it (the local
     * hypervisor's stream) is carried over TLS to the destination relay, which is told the session
     * and the credential. Returns the local port.
     */
    public Future<Integer> openOutgoing(String sessionId, String credential, String relayHost, int relayPort,
            int localPort) {
        NetServer local = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1"));
        java.util.concurrent.atomic.AtomicBoolean used = new java.util.concurrent.atomic.AtomicBoolean();
        local.connectHandler(hypervisor -> {
            if (!used.compareAndSet(false, true)) {
                hypervisor.close(); // one stream per session
                return;
            }
            Holding holding = new Holding(hypervisor, Buffer.buffer());
            tlsClient.connect(relayPort, relayHost).onSuccess(remote -> {
                remote.write(PROTOCOL + " " + sessionId + " " + credential + "\n");
                remote.pipeTo(hypervisor);
                Buffer held = holding.drain();
                if (held.length() > 0) {
                    bytesOut.addAndGet(held.length());
                    for (int off = 0; off < held.length(); off += Frames.MAX_FRAME) {
                        Buffer chunk = held.getBuffer(off, Math.min(held.length(), off + Frames.MAX_FRAME));
                        remote.write(Buffer.buffer().appendInt(chunk.length()).appendBuffer(chunk));
                    }
                }
                if (holding.ended()) {
                    remote.write(Buffer.buffer().appendInt(0));
                    local.close();
                } else {
                    // the listener goes once the stream ends (closing it earlier would cut the stream)
                    Frames.send(hypervisor, remote, bytesOut, local::close);
                    hypervisor.resume();
                }
            }).onFailure(e -> {
                LOG.warn("session {}: cannot reach the destination relay {}:{}: {}", sessionId, relayHost, relayPort,
                        e.getMessage());
                hypervisor.close();
                local.close();
            });
        });
        return local.listen(localPort, "127.0.0.1").map(NetServer::actualPort);
    }

    // --- shared -----------------------------------------------------------------------------------------

    private void refuse(NetSocket socket, String reason) {
        refused.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
        socket.handler(null);
        socket.write("REFUSED " + reason + "\n").onComplete(x -> socket.close());
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

    /** Streams that ended without their end frame (the hypervisor's side was closed abruptly). */
    public long streamsCut() {
        return streamsCut.get();
    }

    public long streamsAccepted() {
        return streamsAccepted.get();
    }

    /** Stops taking new streams; those running go on until they end. */
    public void drain() {
        shuttingDown = true;
    }

    static String commonName(X509Certificate cert) throws Exception {
        for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
            if (rdn.getType().equalsIgnoreCase("CN")) {
                return rdn.getValue().toString();
            }
        }
        throw new IllegalArgumentException("certificate without CN");
    }

    private static int indexOf(Buffer b, byte value) {
        for (int i = 0; i < b.length(); i++) {
            if (b.getByte(i) == value) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        shuttingDown = true;
        if (server != null) {
            server.close();
        }
        tlsClient.close();
        plainClient.close();
    }
}
