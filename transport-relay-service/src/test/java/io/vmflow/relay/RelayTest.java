package io.vmflow.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vmflow.relay.net.Relay;
import io.vmflow.relay.net.Tls;
import io.vmflow.relay.session.Session;
import io.vmflow.relay.session.SessionBook;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two real relays on loopback with real TLS 1.3 certificates from a development CA (ops/pki.sh): many
 * streams arrive byte for byte, and every hostile client is refused before the "hypervisor" (a sink
 * that digests what it receives) sees a single byte.
 */
class RelayTest {

    static Vertx vertx;
    static Path pki;
    static Path rogue;
    static Relay source;
    static Relay destination;
    static SessionBook book;
    static int relayPort;
    static int sinkPort;
    static final List<String> sinkDigests = new CopyOnWriteArrayList<>();
    static final AtomicInteger sinkConnections = new AtomicInteger();
    /** What each relay said about each session's end: "source s-1" -> "1234 null". */
    static final Map<String, String> ends = new ConcurrentHashMap<>();

    static Relay.Listener recording(String side) {
        return new Relay.Listener() {
            @Override
            public void closed(String sessionId, String migrationId, String peer, long bytes, String reason) {
                ends.put(side + " " + sessionId, bytes + " " + reason);
            }
        };
    }

    @BeforeAll
    static void start() throws Exception {
        pki = Files.createTempDirectory("pki");
        rogue = Files.createTempDirectory("rogue");
        run(
                Path.of("..", "ops", "pki.sh").toString(),
                pki.toString(),
                "hosts",
                "hostA=127.0.0.1",
                "hostB=127.0.0.1",
                "hostC=127.0.0.1",
                "hostE=127.0.0.1");
        run(Path.of("..", "ops", "pki.sh").toString(), rogue.toString(), "hosts", "hostA=127.0.0.1");
        // a certificate from the right CA that expires at once (valid for 0 days)
        ProcessBuilder expiring = new ProcessBuilder(
                        Path.of("..", "ops", "pki.sh").toString(), pki.toString(), "hosts", "hostD=127.0.0.1")
                .inheritIO();
        expiring.environment().put("VMFLOW_PKI_DAYS", "0");
        assertThat(expiring.start().waitFor()).isZero();
        vertx = Vertx.vertx();
        NetServer sink = vertx.createNetServer();
        sink.connectHandler(s -> {
            sinkConnections.incrementAndGet();
            MessageDigest md = sha();
            long[] n = {0};
            s.handler(b -> {
                md.update(b.getBytes());
                n[0] += b.length();
            });
            s.endHandler(v -> {
                sinkDigests.add(n[0] + ":" + HexFormat.of().formatHex(md.digest()));
                s.close();
            });
        });
        sinkPort = sink.listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .actualPort();
        book = new SessionBook("hostB", Clock.systemUTC());
        Tls b = tls(pki, "hostB");
        destination = new Relay(
                vertx,
                new Tls(
                        b.caPath(),
                        b.certPath(),
                        b.keyPath(),
                        pki.resolve("crl.pem").toString()),
                book,
                recording("destination"));
        relayPort = destination
                .listen("127.0.0.1", 0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        source = new Relay(vertx, tls(pki, "hostA"), new SessionBook("hostA", Clock.systemUTC()), recording("source"));
    }

    @AfterAll
    static void stop() {
        source.close();
        destination.close();
        vertx.close();
    }

    static Tls tls(Path dir, String host) {
        return tls(dir, "relay", host);
    }

    /** A principal's TLS files from ops/pki.sh (ROLE.NAME/ca.crt, cert.pem, key.pem). */
    static Tls tls(Path dir, String role, String name) {
        Path p = dir.resolve(role + "." + name);
        return new Tls(
                p.resolve("ca.crt").toString(),
                p.resolve("cert.pem").toString(),
                p.resolve("key.pem").toString());
    }

    /** Opens an outgoing session on the source relay; returns its loopback port. */
    static int outgoing(String session, String credential) throws Exception {
        String endpoint = source.openOutgoing(new Relay.Outgoing(
                        session,
                        "mig-" + session,
                        "hostB",
                        credential,
                        "127.0.0.1:" + relayPort,
                        "127.0.0.1:0",
                        0,
                        Instant.now().plusSeconds(60)))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as("%s", List.of(cmd))
                .isTrue();
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String openSession(String from, Instant expires) {
        String id = "s-" + UUID.randomUUID();
        String credential = UUID.randomUUID() + "-" + UUID.randomUUID();
        destination.accept(new Session(
                id, "mig-" + id, from, "hostB", "127.0.0.1:" + sinkPort, SessionBook.sha256(credential), expires));
        return id + " " + credential;
    }

    @Test
    void aStreamCutBeforeItsEndFrameFailsLoudlyInsteadOfArrivingShort() throws Exception {
        String session = openSession("hostA", Instant.now().plusSeconds(60));
        long cutBefore = destination.streamsCut();
        var client = vertx.createNetClient(as(pki, "hostA"));
        NetSocket s = client.connect(relayPort, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        s.write("VMFLOW/1 " + session + "\n");
        s.write(Buffer.buffer().appendInt(3).appendString("abc")); // one frame, then no end frame
        s.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> destination.streamsCut() > cutBefore);
        client.close();
    }

    @Test
    void manyStreamsOfVariedSizesArriveByteForByte() throws Exception {
        Random random = new Random(42);
        int[] sizes = {0, 1, 4095, 65537, 1 << 20, 3 * (1 << 20) + 17, 8 << 20};
        for (int i = 0; i < 21; i++) {
            int size = sizes[i % sizes.length] + (i / sizes.length) * 1013;
            String[] s = openSession("hostA", Instant.now().plusSeconds(60)).split(" ");
            int local = outgoing(s[0], s[1]);
            byte[] data = new byte[size];
            random.nextBytes(data);
            int before = sinkDigests.size();
            try (Socket hypervisor = new Socket("127.0.0.1", local)) {
                OutputStream out = hypervisor.getOutputStream();
                for (int off = 0; off < data.length; off += 64 * 1024) {
                    out.write(data, off, Math.min(64 * 1024, data.length - off));
                }
                hypervisor.shutdownOutput();
                await().atMost(Duration.ofMinutes(1)).until(() -> sinkDigests.size() > before);
            }
            assertThat(sinkDigests.get(before))
                    .as(
                            "stream %d of %d bytes (source said %s, destination said %s)",
                            i, size, ends.get("source " + s[0]), ends.get("destination " + s[0]))
                    .isEqualTo(size + ":" + HexFormat.of().formatHex(sha().digest(data)));
        }
    }

    @Test
    void largeStreamsHeldWhileTheTunnelOpensArriveWhole() throws Exception {
        // the hypervisor writes far more than the relay holds (4 MiB) before the TLS tunnel is up
        Random random = new Random(11);
        for (int i = 0; i < 8; i++) {
            byte[] data = new byte[(24 << 20) + i * 4099];
            random.nextBytes(data);
            String[] s = openSession("hostA", Instant.now().plusSeconds(60)).split(" ");
            int before = sinkDigests.size();
            try (Socket hypervisor = new Socket("127.0.0.1", outgoing(s[0], s[1]))) {
                hypervisor.getOutputStream().write(data);
                hypervisor.shutdownOutput();
                await().atMost(Duration.ofMinutes(1)).until(() -> sinkDigests.size() > before);
            }
            assertThat(sinkDigests.get(before))
                    .as(
                            "stream %d (source said %s, destination said %s)",
                            i, ends.get("source " + s[0]), ends.get("destination " + s[0]))
                    .isEqualTo(data.length + ":" + HexFormat.of().formatHex(sha().digest(data)));
        }
    }

    @Test
    void aSlowHypervisorSlowsTheStreamAndStillGetsEveryByte() throws Exception {
        // a destination hypervisor that reads 256 KiB, then stops reading for 50 ms, and so on
        List<String> slowDigests = new CopyOnWriteArrayList<>();
        NetServer slow = vertx.createNetServer().connectHandler(s -> {
            MessageDigest md = sha();
            long[] n = {0, 0};
            s.handler(b -> {
                md.update(b.getBytes());
                n[0] += b.length();
                if ((n[1] += b.length()) > 256 * 1024) {
                    n[1] = 0;
                    s.pause();
                    vertx.setTimer(50, t -> s.resume());
                }
            });
            s.endHandler(v -> {
                slowDigests.add(n[0] + ":" + HexFormat.of().formatHex(md.digest()));
                s.close();
            });
        });
        int slowPort = slow.listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .actualPort();
        String id = "s-" + UUID.randomUUID();
        String credential = UUID.randomUUID().toString();
        destination.accept(new Session(
                id,
                "mig-" + id,
                "hostA",
                "hostB",
                "127.0.0.1:" + slowPort,
                SessionBook.sha256(credential),
                Instant.now().plusSeconds(60)));
        byte[] data = new byte[12 << 20];
        new Random(7).nextBytes(data);
        try (Socket hypervisor = new Socket("127.0.0.1", outgoing(id, credential))) {
            hypervisor.getOutputStream().write(data);
            hypervisor.shutdownOutput();
            await().atMost(Duration.ofMinutes(2)).until(() -> !slowDigests.isEmpty());
        }
        assertThat(slowDigests.get(0))
                .as("source said %s, destination said %s", ends.get("source " + id), ends.get("destination " + id))
                .isEqualTo(data.length + ":" + HexFormat.of().formatHex(sha().digest(data)));
        slow.close();
    }

    @Test
    void aClientThatStopsReadingIsRefusedAndDisturbsNoOtherStream() throws Exception {
        long refusedBefore = destination.refusals().getOrDefault("BAD_PREAMBLE", 0L);
        var client = vertx.createNetClient(as(pki, "hostA"));
        NetSocket s = client.connect(relayPort, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        s.pause(); // never reads what the relay answers
        byte[] junk = new byte[4 << 20];
        new Random(3).nextBytes(junk);
        s.write(Buffer.buffer(junk));
        // meanwhile a valid stream goes through whole
        String[] ok = openSession("hostA", Instant.now().plusSeconds(60)).split(" ");
        byte[] data = new byte[2 << 20];
        new Random(4).nextBytes(data);
        int before = sinkDigests.size();
        try (Socket hypervisor = new Socket("127.0.0.1", outgoing(ok[0], ok[1]))) {
            hypervisor.getOutputStream().write(data);
            hypervisor.shutdownOutput();
            await().atMost(Duration.ofMinutes(1)).until(() -> sinkDigests.size() > before);
        }
        assertThat(sinkDigests.get(before))
                .isEqualTo(data.length + ":" + HexFormat.of().formatHex(sha().digest(data)));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> destination.refusals().getOrDefault("BAD_PREAMBLE", 0L) > refusedBefore);
        client.close();
    }

    @Test
    void aDrainingRelayRefusesNewSessionsAndStreamsButLetsARunningOneFinish() throws Exception {
        Relay draining = new Relay(vertx, tls(pki, "hostB"), new SessionBook("hostB", Clock.systemUTC()));
        int port = draining.listen("127.0.0.1", 0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        Relay sender = new Relay(vertx, tls(pki, "hostA"), new SessionBook("hostA", Clock.systemUTC()));
        String id = "s-" + UUID.randomUUID();
        String credential = UUID.randomUUID().toString();
        Instant expires = Instant.now().plusSeconds(60);
        draining.accept(new Session(
                id, "mig-" + id, "hostA", "hostB", "127.0.0.1:" + sinkPort, SessionBook.sha256(credential), expires));
        String endpoint = sender.openOutgoing(new Relay.Outgoing(
                        id, "mig-" + id, "hostB", credential, "127.0.0.1:" + port, "127.0.0.1:0", 0, expires))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        byte[] data = new byte[4 << 20];
        new Random(5).nextBytes(data);
        int before = sinkDigests.size();
        try (Socket hypervisor =
                new Socket("127.0.0.1", Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)))) {
            hypervisor.getOutputStream().write(data, 0, 1 << 20);
            await().atMost(Duration.ofSeconds(30)).until(() -> draining.streamsLive() == 1);
            var drained = draining.drain(); // SIGTERM: from now on nothing new
            assertThat(drained).as("a stream still runs").isNotDone();
            var client = vertx.createNetClient(as(pki, "hostA"));
            // the handler is set on the connection's event loop in the connect's own turn: set from this
            // thread, the refusal (sent right after the handshake) could arrive before it and be lost
            // (a fresh-clone run failed so)
            StringBuffer answer = new StringBuffer();
            client.connect(port, "127.0.0.1")
                    .map(s -> s.handler(b -> answer.append(b.toString())))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(20, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> answer.toString().contains("REFUSED SHUTTING_DOWN"));
            client.close();
            hypervisor.getOutputStream().write(data, 1 << 20, data.length - (1 << 20));
            hypervisor.shutdownOutput();
            await().atMost(Duration.ofMinutes(1)).until(() -> sinkDigests.size() > before);
        }
        assertThat(sinkDigests.get(before))
                .as("the stream that was running finished whole")
                .isEqualTo(data.length + ":" + HexFormat.of().formatHex(sha().digest(data)));
        assertThat(draining.drain()).as("drained once the last stream ended").succeedsWithin(Duration.ofSeconds(30));
        sender.drain();
        assertThat(sender.openOutgoing(new Relay.Outgoing(
                                "s-late", "mig-late", "hostB", "x", "127.0.0.1:" + port, "127.0.0.1:0", 0, expires))
                        .toCompletionStage()
                        .toCompletableFuture())
                .failsWithin(Duration.ofSeconds(5));
        sender.close();
        draining.close();
    }

    /** A raw client of the relay's TLS port; returns what the relay answered before closing, or "" / "CLOSED". */
    static String hostileClient(NetClientOptions options, String send) throws Exception {
        var client = vertx.createNetClient(options);
        try {
            Buffer answer = Buffer.buffer();
            var closed = new java.util.concurrent.CompletableFuture<String>();
            // the handlers are set on the connection's own event loop, in the same turn as the connect:
            // set from this thread, a relay that refuses at once (TLS 1.3: right after the client's
            // handshake) could close the socket before the close handler existed (seen once in a full run here)
            client.connect(relayPort, "127.0.0.1")
                    .map(s -> {
                        s.handler(answer::appendBuffer);
                        s.closeHandler(v -> closed.complete(answer.toString().trim()));
                        if (send != null) {
                            s.write(send);
                        }
                        return s;
                    })
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(20, TimeUnit.SECONDS);
            return closed.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return "HANDSHAKE_FAILED";
        } finally {
            client.close();
        }
    }

    static NetClientOptions as(Path dir, String host) {
        return as(dir.resolve("relay." + host));
    }

    /** A client with the key and certificate of a principal's directory. */
    static NetClientOptions as(Path principal) {
        return new NetClientOptions()
                .setSsl(true)
                .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertPath(principal.resolve("cert.pem").toString())
                        .setKeyPath(principal.resolve("key.pem").toString()))
                .setTrustOptions(new PemTrustOptions()
                        .addCertPath(pki.resolve("ca/ca.crt").toString()))
                .setHostnameVerificationAlgorithm("HTTPS");
    }

    @Test
    void aRevokedCertificateIsRefusedOnceTheRelayReloadsItsRevocationList() throws Exception {
        String valid = openSession("hostE", Instant.now().plusSeconds(60));
        Path kept = Files.createTempDirectory("revoked");
        for (String f : List.of("cert.pem", "key.pem")) {
            Files.copy(pki.resolve("relay.hostE").resolve(f), kept.resolve(f));
        }
        assertThat(hostileClient(as(kept), "VMFLOW/1 s-unknown secret\n"))
                .as("before the revocation: TLS passes, the session is unknown")
                .isEqualTo("REFUSED UNKNOWN_SESSION");
        run(Path.of("..", "ops", "pki.sh").toString(), pki.toString(), "revoke", "relay.hostE");
        destination.reloadTls().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(hostileClient(as(kept), "VMFLOW/1 " + valid + "\n")).isIn("", "HANDSHAKE_FAILED");
        // the others' certificates still work
        assertThat(hostileClient(as(pki, "hostA"), "VMFLOW/1 s-unknown secret\n"))
                .isEqualTo("REFUSED UNKNOWN_SESSION");
    }

    @Test
    void hostileClientsAreRefusedWithAReasonAndTheHypervisorNeverSeesAByte() throws Exception {
        int sinkBefore = sinkConnections.get();
        long acceptedBefore = destination.streamsAccepted();
        String valid = openSession("hostA", Instant.now().plusSeconds(60));
        String expired = openSession("hostA", Instant.now().minusSeconds(1));
        String forHostA = openSession("hostA", Instant.now().plusSeconds(60));

        Map<String, String> answers = new ConcurrentHashMap<>();
        answers.put(
                "no client certificate",
                hostileClient(
                        new NetClientOptions()
                                .setSsl(true)
                                .setHostnameVerificationAlgorithm("HTTPS")
                                .setTrustOptions(new PemTrustOptions()
                                        .addCertPath(pki.resolve("ca/ca.crt").toString())),
                        "VMFLOW/1 " + valid + "\n"));
        answers.put("certificate from another CA", hostileClient(as(rogue, "hostA"), "VMFLOW/1 " + valid + "\n"));
        await().until(() -> java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificates(Files.newInputStream(pki.resolve("relay.hostD/cert.pem")))
                .stream()
                .allMatch(c ->
                        ((java.security.cert.X509Certificate) c).getNotAfter().before(new java.util.Date())));
        answers.put("expired certificate", hostileClient(as(pki, "hostD"), "VMFLOW/1 " + valid + "\n"));
        answers.put("plaintext", hostileClient(new NetClientOptions(), "VMFLOW/1 " + valid + "\n"));
        answers.put("no session", hostileClient(as(pki, "hostA"), "VMFLOW/1 s-unknown secret\n"));
        answers.put(
                "wrong credential", hostileClient(as(pki, "hostA"), "VMFLOW/1 " + valid.split(" ")[0] + " guess\n"));
        answers.put("expired session", hostileClient(as(pki, "hostA"), "VMFLOW/1 " + expired + "\n"));
        answers.put("right credential, wrong host", hostileClient(as(pki, "hostC"), "VMFLOW/1 " + forHostA + "\n"));
        answers.put("garbage", hostileClient(as(pki, "hostA"), "GET / HTTP/1.1\r\nHost: x\r\n\r\n" + "x".repeat(600)));
        answers.put("slow loris", hostileClient(as(pki, "hostA"), null));
        answers.put(
                "hostA's agent certificate", hostileClient(as(pki.resolve("agent.hostA")), "VMFLOW/1 " + valid + "\n"));

        assertThat(answers)
                .containsEntry("no client certificate", "")
                .containsEntry("no session", "REFUSED UNKNOWN_SESSION")
                .containsEntry("wrong credential", "REFUSED WRONG_CREDENTIAL")
                .containsEntry("expired session", "REFUSED EXPIRED")
                .containsEntry("right credential, wrong host", "REFUSED WRONG_HOST")
                .containsEntry("garbage", "REFUSED BAD_PREAMBLE")
                .containsEntry("slow loris", "REFUSED PREAMBLE_TIMEOUT")
                .containsEntry("hostA's agent certificate", "REFUSED NO_CLIENT_CERTIFICATE");
        assertThat(answers.get("certificate from another CA")).isIn("", "HANDSHAKE_FAILED");
        assertThat(answers.get("expired certificate")).isIn("", "HANDSHAKE_FAILED");
        assertThat(answers.get("plaintext")).doesNotContain("REFUSED");
        assertThat(destination.refusals())
                .containsKeys(
                        "UNKNOWN_SESSION",
                        "WRONG_CREDENTIAL",
                        "EXPIRED",
                        "WRONG_HOST",
                        "BAD_PREAMBLE",
                        "PREAMBLE_TIMEOUT",
                        "NO_CLIENT_CERTIFICATE");
        assertThat(sinkConnections.get()).as("the hypervisor saw nothing").isEqualTo(sinkBefore);
        assertThat(destination.streamsAccepted()).isEqualTo(acceptedBefore);

        // the valid session still works once, and a replay of its credential does not
        String[] s = valid.split(" ");
        int local = outgoing(s[0], s[1]);
        int before = sinkDigests.size();
        try (Socket hypervisor = new Socket("127.0.0.1", local)) {
            hypervisor.getOutputStream().write("hello".getBytes());
            hypervisor.shutdownOutput();
            await().atMost(Duration.ofSeconds(30)).until(() -> sinkDigests.size() > before);
        }
        assertThat(hostileClient(as(pki, "hostA"), "VMFLOW/1 " + valid + "\n")).isEqualTo("REFUSED ALREADY_USED");
    }
}
