package io.vmflow.relay.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vmflow.relay.net.Relay;
import io.vmflow.relay.net.Tls;
import io.vmflow.relay.session.Session;
import io.vmflow.relay.session.SessionBook;
import io.vmflow.runtime.security.CredentialSeal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Two vmflow relays, source and destination, in one JVM, for the benchmark (ops/bench/relays.sh):
 * real TLS 1.3 with mutual authentication between them, sessions opened directly instead of from
 * Kafka. Each stream the source's loopback port takes goes to the sink; a new session is opened for
 * each (single-use credentials, as in production). Prints "READY" when listening. Each relay has a
 * Vert.x of its own, as on two hosts: with one shared Vert.x, a session's source and destination
 * sockets could land on the same event loop, one thread carrying both relays' work.
 *
 * <p>Usage: RelayPair PKI_DIR IN_PORT SINK_PORT STREAMS
 */
public final class RelayPair {

    private RelayPair() {}

    public static void main(String[] args) throws Exception {
        Path pki = Path.of(args[0]);
        int inPort = Integer.parseInt(args[1]);
        int sinkPort = Integer.parseInt(args[2]);
        int streams = Integer.parseInt(args[3]);
        Vertx sourceVertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        Vertx destinationVertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        System.out.println(
                "TLS engine " + Tls.engineName() + ", native transport " + destinationVertx.isNativeTransportEnabled());
        Relay destination = new Relay(destinationVertx, tls(pki, "hostB"), new SessionBook("hostB", Clock.systemUTC()));
        int tlsPort = destination
                .listen("127.0.0.1", 0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        CountDownLatch done = new CountDownLatch(streams);
        Relay source = new Relay(
                sourceVertx, tls(pki, "hostA"), new SessionBook("hostA", Clock.systemUTC()), new Relay.Listener() {
                    @Override
                    public void closed(String sessionId, String migrationId, String peer, long bytes, String reason) {
                        System.out.println(
                                "stream " + sessionId + " " + bytes + " bytes " + (reason == null ? "whole" : reason));
                        done.countDown();
                    }
                });
        for (int i = 0; i < streams; i++) {
            // one session at a time on the fixed port: the next opens when the previous stream ended
            String id = "bench-" + i;
            String credential = CredentialSeal.newCredential();
            Instant expires = Instant.now().plusSeconds(3600);
            destination.accept(new Session(
                    id, id, "hostA", "hostB", "127.0.0.1:" + sinkPort, CredentialSeal.digest(credential), expires));
            long before = done.getCount();
            source.openOutgoing(new Relay.Outgoing(
                            id, id, "hostB", credential, "127.0.0.1:" + tlsPort, "127.0.0.1:" + inPort, 0, expires))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            System.out.println("READY " + id + " native=" + sourceVertx.isNativeTransportEnabled());
            while (done.getCount() == before) {
                Thread.sleep(20);
            }
            Thread.sleep(200); // let the listener close before the next opens on the same port
        }
        source.close();
        destination.close();
        sourceVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        destinationVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Tls tls(Path pki, String host) {
        Path p = pki.resolve("relay." + host);
        return new Tls(
                p.resolve("ca.crt").toString(),
                p.resolve("cert.pem").toString(),
                p.resolve("key.pem").toString());
    }
}
