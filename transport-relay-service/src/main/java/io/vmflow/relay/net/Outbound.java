package io.vmflow.relay.net;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of a relay: a local endpoint per session (a unix socket, or a loopback port) where
 * the local hypervisor sends its migration stream; the first connection to it is carried over TLS to
 * the destination relay, after checking that the relay reached is the destination host's (its
 * certificate's CN), and the destination is told the session and its credential in the preamble.
 */
final class Outbound {

    private static final Logger LOG = LoggerFactory.getLogger(Outbound.class);

    private final Vertx vertx;
    private final Streams streams;
    private final NetClient tlsClient;
    private final Map<String, Local> endpoints = new ConcurrentHashMap<>();

    /** Loads the TLS files again for the connections opened from now on. */
    io.vertx.core.Future<Boolean> reloadTls(Tls tls) {
        return tlsClient.updateSSLOptions(tls.client().getSslOptions(), true);
    }

    Outbound(Vertx vertx, Tls tls, Streams streams) {
        this.vertx = vertx;
        this.streams = streams;
        this.tlsClient = vertx.createNetClient(tls.client());
    }

    /** Opens a session's local endpoint (idempotent); returns it ("unix:/path" or "127.0.0.1:port"). */
    Future<String> open(Relay.Outgoing o) {
        if (streams.shuttingDown()) {
            return Future.failedFuture("the relay is shutting down and takes no new sessions");
        }
        SocketAddress at = Relay.endpoint(o.listen());
        Local existing = endpoints.get(o.sessionId());
        if (existing != null) {
            return existing.ready();
        }
        NetServer local = vertx.createNetServer();
        Promise<String> ready = Promise.promise();
        Local mine = new Local(local, at.isDomainSocket() ? Path.of(at.path()) : null, ready.future());
        if (endpoints.putIfAbsent(o.sessionId(), mine) != null) {
            return open(o);
        }
        AtomicBoolean used = new AtomicBoolean();
        local.connectHandler(hypervisor -> {
            if (!used.compareAndSet(false, true)) {
                hypervisor.close(); // one stream per session
                return;
            }
            send(o, hypervisor);
        });
        if (mine.path() != null) {
            try {
                Files.createDirectories(mine.path().getParent());
                Files.deleteIfExists(mine.path());
            } catch (IOException e) {
                endpoints.remove(o.sessionId());
                ready.fail("cannot prepare " + at.path() + ": " + e.getMessage());
                return ready.future();
            }
        }
        local.listen(at)
                .map(s -> {
                    String endpoint = localEndpoint(o.listen(), s);
                    long ttl = Math.max(1, o.expiresAt().toEpochMilli() - System.currentTimeMillis());
                    vertx.setTimer(ttl, t -> {
                        if (!used.get() && endpoints.remove(o.sessionId(), mine)) {
                            LOG.info(
                                    "session {}: expired before the hypervisor connected; endpoint closed",
                                    o.sessionId());
                            mine.close();
                        }
                    });
                    streams.listener.opened(o.sessionId(), o.migrationId(), o.destinationHost(), endpoint);
                    return endpoint;
                })
                .onComplete(ready)
                .onFailure(e -> endpoints.remove(o.sessionId(), mine));
        return ready.future();
    }

    /** Carries the hypervisor's stream to the destination relay. */
    private void send(Relay.Outgoing o, NetSocket hypervisor) {
        RawSocket source = new RawSocket(hypervisor); // holds the stream's first bytes until the tunnel is up
        Stream stream = streams.track(
                o.sessionId(), o.migrationId(), Stream.Side.SOURCE, o.destinationHost(), streams.bytesOut);
        tlsClient
                .connect(Relay.endpoint(o.destinationRelay()))
                .onSuccess(remote -> {
                    String peer = Relay.peerHost(remote);
                    if (!o.destinationHost().equals(peer)) {
                        LOG.warn(
                                "session {}: {} answered as {}, not as {}; not sending the stream",
                                o.sessionId(),
                                o.destinationRelay(),
                                peer,
                                o.destinationHost());
                        remote.close();
                        source.discard();
                        stream.sockets(hypervisor, null);
                        stream.cut("WRONG_PEER");
                        return;
                    }
                    stream.sockets(hypervisor, remote);
                    RawSocket tunnel = new RawSocket(remote);
                    remote.write(Relay.PROTOCOL + " " + o.sessionId() + " " + o.credential() + "\n");
                    Frames.join(vertx, source, tunnel, stream, true, o.capBytesPerSecond());
                })
                .onFailure(e -> {
                    LOG.warn(
                            "session {}: cannot reach the destination relay {}: {}",
                            o.sessionId(),
                            o.destinationRelay(),
                            e.getMessage());
                    source.discard();
                    stream.sockets(hypervisor, null);
                    stream.cut("DESTINATION_RELAY_UNREACHABLE");
                });
    }

    /** Closes a session's local endpoint, if it still has one. */
    void release(String sessionId) {
        Local local = endpoints.remove(sessionId);
        if (local != null) {
            local.close();
        }
    }

    int sessions() {
        return endpoints.size();
    }

    void close() {
        endpoints.values().forEach(Local::close);
        tlsClient.close();
    }

    private static String localEndpoint(String asked, NetServer s) {
        return asked.startsWith("unix:") ? asked : asked.substring(0, asked.lastIndexOf(':') + 1) + s.actualPort();
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
}
