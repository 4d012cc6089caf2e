package io.vmflow.relay.net;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import io.vmflow.relay.session.Session;
import io.vmflow.relay.session.SessionBook;
import io.vmflow.runtime.security.Identity;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One host's transport relay: its single TLS port takes the streams other hosts' relays send
 * ({@link Inbound}, the destination side), and a local endpoint per outgoing session takes the local
 * hypervisor's stream to another host's relay ({@link Outbound}, the source side). Both report to one
 * {@link Listener} and share the counters and the shutdown ({@link Streams}).
 */
public final class Relay implements AutoCloseable {

    /** What a relay tells about its sessions and refusals (tunnel reports, metrics). */
    public interface Listener {
        /** peer: the host at the other end of the tunnel. */
        default void opened(String sessionId, String migrationId, String peer, String endpoint) {}

        default void firstByte(String sessionId, String migrationId, String peer) {}

        /** reason null: the stream ended whole. */
        default void closed(String sessionId, String migrationId, String peer, long bytes, String reason) {}

        default void refused(String peer, String sessionId, String migrationId, String reason) {}
    }

    /**
     * An outgoing session: where the local hypervisor connects, and where its stream goes.
     *
     * @param listen             "unix:/path" or "127.0.0.1:port" (port 0: any)
     * @param destinationRelay   host:port of the destination relay's TLS port
     * @param capBytesPerSecond  bandwidth cap, 0 for none
     * @param expiresAt          the endpoint closes then if no stream came
     */
    public record Outgoing(
            String sessionId,
            String migrationId,
            String destinationHost,
            String credential,
            String destinationRelay,
            String listen,
            long capBytesPerSecond,
            Instant expiresAt) {
        @Override
        public String toString() {
            return "Outgoing[" + sessionId + " to " + destinationHost + " at " + destinationRelay
                    + "]"; // no credential
        }
    }

    static final String PROTOCOL = "VMFLOW/1";

    private final Vertx vertx;
    private final Tls tls;
    private final SessionBook book;
    private final Streams streams;
    private final Inbound inbound;
    private final Outbound outbound;
    private NetServer server;

    public Relay(Vertx vertx, Tls tls, SessionBook book) {
        this(vertx, tls, book, new Listener() {});
    }

    public Relay(Vertx vertx, Tls tls, SessionBook book, Listener listener) {
        this.vertx = vertx;
        this.tls = tls;
        this.book = book;
        Outbound[] out = new Outbound[1];
        this.streams = new Streams(listener, sessionId -> out[0].release(sessionId));
        this.outbound = out[0] = new Outbound(vertx, tls, streams);
        this.inbound = new Inbound(vertx, book, streams);
    }

    /** Listens on the public TLS port; returns the bound port. */
    public Future<Integer> listen(String host, int port) {
        server = vertx.createNetServer(tls.server());
        server.connectHandler(inbound::connected);
        return server.listen(port, host).map(NetServer::actualPort);
    }

    /** Registers a session this relay is the destination of (idempotent). */
    public void accept(Session s) {
        book.open(s);
        streams.listener.opened(s.id(), s.migrationId(), s.sourceHost(), s.target());
    }

    /**
     * Opens the local endpoint of an outgoing session (idempotent): the first connection to it (the
     * local hypervisor's stream) is carried over TLS to the destination relay. Returns the endpoint.
     */
    public Future<String> openOutgoing(Outgoing o) {
        return outbound.open(o);
    }

    /**
     * Ends a session on this relay: no new stream for it, its local endpoint goes, and a stream
     * still running is cut (the control plane closes a session when its migration ended or failed).
     */
    public void closeSession(String sessionId) {
        book.close(sessionId);
        outbound.release(sessionId);
        streams.cut(sessionId, "SESSION_CLOSED");
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

    /** Refused connections by reason (for metrics and tests). */
    public Map<String, Long> refusals() {
        return streams.refusals();
    }

    /** Bytes carried towards targets (destination side) and towards other relays (source side). */
    public long bytesIn() {
        return streams.bytesIn.get();
    }

    public long bytesOut() {
        return streams.bytesOut.get();
    }

    /** Streams that ended without their end (the hypervisor's side was closed abruptly). */
    public long streamsCut() {
        return streams.cut.get();
    }

    public long streamsCompleted() {
        return streams.completed.get();
    }

    public long streamsAccepted() {
        return streams.accepted.get();
    }

    /** Streams running now, either side. */
    public int streamsLive() {
        return streams.live();
    }

    /** Sessions with an open local endpoint (source side). */
    public int outgoingSessions() {
        return outbound.sessions();
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
        return streams.drain();
    }

    /**
     * The host a peer relay's certificate names: a vmflow relay identity (SAN and subject agreeing,
     * {@link Identity}); a certificate of another role (an agent's, a coordinator's) names none.
     */
    static String peerHost(io.vertx.core.net.NetSocket socket) {
        try {
            return Identity.of((X509Certificate) socket.peerCertificates().get(0))
                    .filter(id -> id.role().equals(Identity.RELAY))
                    .map(Identity::name)
                    .orElse(null);
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Reads the certificate, key, CA and revocation list again (after a rotation or a revocation):
     * new connections use them, running streams go on. Fails when the files do not load.
     */
    public Future<Boolean> reloadTls() {
        Future<Boolean> client = outbound.reloadTls(tls);
        return server == null
                ? client
                : client.compose(c -> server.updateSSLOptions(tls.server().getSslOptions(), true));
    }

    @Override
    public void close() {
        streams.cutAll("RELAY_STOPPED");
        outbound.close();
        if (server != null) {
            server.close();
        }
        inbound.close();
    }
}
