package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.auth.TestTokens;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The coordinator end to end: requests on the requests topic, two real agents on the two real test
 * hosts, events on the audit log; the guest's integrity checked on the destination.
 */
class CoordinatorFlowsIT {

    static CoordinatorFixture system;
    static AgentHarness agents;
    static Coordinator coordinator;
    static Events events;

    @BeforeAll
    static void start() throws Exception {
        system = CoordinatorFixture.start("it-alice", Map.of());
        agents = system.agents;
        coordinator = system.coordinator;
        events = system.events;
    }

    @AfterAll
    static void stop() throws Exception {
        system.close();
    }

    static String request(MigrationSpec spec) throws Exception {
        return system.request(spec);
    }

    static void assertCompleteAndOrdered(String id) {
        events.assertCompleteAndOrdered(id);
        assertThat(events.of(id)).allSatisfy(e -> assertThat(e.getPrincipal()).isEqualTo("it-alice"));
    }

    @Test
    void peerToPeerFromARequestOnTheTopicToSucceeded() throws Exception {
        TestGuest guest = new TestGuest("c-p2p-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        try {
            guest.start(agents.hostA, false);
            awaitInventory(guest);
            String id = request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                    .build());

            MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(3));

            assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.SUCCEEDED);
            // and back at once, with no wait for a heartbeat: the agents published where the guest runs
            // before they reported the end (before, the request was REJECTED GUEST_NOT_ON_SOURCE "it runs
            // on hostA" until hostB's next heartbeat, up to 5 s later)
            String back = request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostB")
                    .setDestinationHost("hostA")
                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                    .build());
            MigrationEvent backLast = events.awaitFinal(back, Duration.ofMinutes(3));
            assertThat(backLast.getPhase()).as("%s", events.of(back)).isEqualTo(Phase.SUCCEEDED);
            assertThat(events.phases(id))
                    .containsSubsequence(
                            Phase.REQUESTED,
                            Phase.ACCEPTED,
                            Phase.SCHEDULED,
                            Phase.PREPARING_TARGET,
                            Phase.TARGET_READY,
                            Phase.RUNNING,
                            Phase.FINISHING,
                            Phase.SUCCEEDED);
            assertCompleteAndOrdered(id);
            assertCloudEventsHeaders(id);
            assertCompleteAndOrdered(back);
            guest.assertRunningIntact(agents.hostA);
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    /** Every audit-log record of a migration carries the CloudEvents Kafka binding's headers. */
    static void assertCloudEventsHeaders(String id) {
        Endpoints endpoints = Endpoints.fromEnvironment();
        List<org.apache.kafka.common.header.Headers> headers = new java.util.ArrayList<>();
        String topic = TopicCatalogue.MIGRATION_EVENTS.name();
        io.vmflow.runtime.kafka.TopicTail.readToEnd(
                endpoints, "it-ce", io.vmflow.runtime.kafka.TopicTail.partitions(endpoints, "it-ce", topic), r -> {
                    if (id.equals(r.key())) {
                        headers.add(r.headers());
                    }
                });
        assertThat(headers).hasSize(events.of(id).size());
        for (int i = 0; i < headers.size(); i++) {
            var h = headers.get(i);
            MigrationEvent e = events.of(id).get(i);
            assertThat(text(h, "ce_specversion")).isEqualTo("1.0");
            assertThat(text(h, "ce_id")).isEqualTo(e.getEventId());
            assertThat(text(h, "ce_subject")).isEqualTo(id);
            assertThat(text(h, "ce_type"))
                    .isEqualTo(
                            "io.vmflow.migration.phase." + e.getPhase().name().toLowerCase());
            assertThat(text(h, "ce_source")).startsWith("/vmflow/coordinator/");
            assertThat(Instant.parse(text(h, "ce_time"))).isEqualTo(e.getOccurredAt());
        }
    }

    static String text(org.apache.kafka.common.header.Headers h, String key) {
        var v = h.lastHeader(key);
        return v == null ? null : new String(v.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void managedDirectFromARequestWithTheDestinationChosenByThePlanner() throws Exception {
        TestGuest guest =
                new TestGuest("c-direct-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        try {
            guest.start(agents.hostA, true);
            awaitInventory(guest);
            String id = request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setControlFlow(ControlFlow.MANAGED_DIRECT)
                    .setPersistDest(true)
                    .setUndefineSource(true)
                    .build());

            MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(3));

            assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.SUCCEEDED);
            assertThat(withoutRepeats(events.phases(id)))
                    .as("phases, progress updates folded")
                    .containsExactly(
                            Phase.REQUESTED,
                            Phase.ACCEPTED,
                            Phase.SCHEDULED,
                            Phase.PREPARING_TARGET,
                            Phase.TARGET_READY,
                            Phase.RUNNING,
                            Phase.FINISHING,
                            Phase.CONFIRMING,
                            Phase.SUCCEEDED);
            assertThat(events.of(id).get(1).getSpec().getDestinationHost()).isEqualTo("hostB");
            assertThat(events.of(id).get(1).getSpec().getMigrationUri())
                    .isEqualTo("tcp://" + agents.hostB.migrationAddress());
            assertCompleteAndOrdered(id);
            guest.assertRunningIntact(agents.hostB);
            assertThat(guest.observe(agents.hostB))
                    .hasValueSatisfying(o -> assertThat(o.persistent()).isTrue());
            assertThat(guest.observe(agents.hostA)).isEmpty();
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    static final java.net.http.HttpClient HTTP = io.vmflow.testsupport.TestHttps.client();

    /** A call as it-alice, an operator. */
    static java.net.http.HttpResponse<String> http(String method, String path, String body) throws Exception {
        return http(method, path, body, TestTokens.bearer("it-alice", "operator"), "application/json");
    }

    /** A call with this Authorization header (or none) and this Content-Type (or none). */
    static java.net.http.HttpResponse<String> http(
            String method, String path, String body, String authorization, String contentType) throws Exception {
        var b = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(io.vmflow.testsupport.TestHttps.base(coordinator.httpPort()) + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(
                method,
                body == null
                        ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    static String json(MigrationSpec s) {
        io.vertx.core.json.JsonObject j = new io.vertx.core.json.JsonObject()
                .put("guest", s.getGuest())
                .put("sourceHost", s.getSourceHost())
                .put("controlFlow", s.getControlFlow().name())
                .put("transport", s.getTransport().name())
                .put("live", s.getLive())
                .put("postCopy", s.getPostCopy());
        if (s.getDestinationHost() != null) {
            j.put("destinationHost", s.getDestinationHost());
        }
        if (s.getMigrationUri() != null) {
            j.put("migrationUri", s.getMigrationUri());
        }
        return j.encode();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(
            value = ControlFlow.class,
            names = {"MANAGED_PEER_TO_PEER", "MANAGED_DIRECT"})
    void managedFlowsThroughTheHttpApiToSucceeded(ControlFlow flow) throws Exception {
        TestGuest guest = new TestGuest("c-http-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        try {
            guest.start(agents.hostA, false);
            awaitInventory(guest);
            var created = http(
                    "POST",
                    "/migrations",
                    "{\"guest\":\"" + guest.name() + "\",\"controlFlow\":\"" + flow
                            + "\",\"sourceHost\":\"hostA\",\"destinationHost\":\"hostB\",\"reason\":\"it\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
            String id = new io.vertx.core.json.JsonObject(created.body()).getString("migrationId");
            assertThat(created.headers().firstValue("Location")).contains("/migrations/" + id);

            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(300))
                    .until(() -> {
                        var r = http("GET", "/migrations/" + id, null);
                        return r.statusCode() == 200 && new io.vertx.core.json.JsonObject(r.body()).getBoolean("final");
                    });
            var state = new io.vertx.core.json.JsonObject(
                    http("GET", "/migrations/" + id, null).body());
            assertThat(state.getString("phase")).as("%s", state).isEqualTo("SUCCEEDED");
            assertThat(state.getString("principal")).isEqualTo("it-alice");
            // the API's event index and this test's tail both follow the log: wait until both have its end
            events.awaitFinal(id, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> new io.vertx.core.json.JsonObject(http("GET", "/migrations/" + id + "/events", null)
                                            .body())
                                    .getJsonArray("events")
                                    .size()
                            == events.of(id).size());
            var log = new io.vertx.core.json.JsonObject(
                            http("GET", "/migrations/" + id + "/events", null).body())
                    .getJsonArray("events");
            assertThat(log.getJsonObject(0).getString("phase")).isEqualTo("REQUESTED");
            assertThat(log.getJsonObject(log.size() - 1).getString("phase")).isEqualTo("SUCCEEDED");
            var listed = new io.vertx.core.json.JsonObject(
                            http("GET", "/migrations?phase=SUCCEEDED&guest=" + guest.name(), null)
                                    .body())
                    .getJsonArray("migrations");
            assertThat(listed.size()).isEqualTo(1);
            assertCompleteAndOrdered(id);
            guest.assertRunningIntact(agents.hostB);
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    @Test
    void theHttpApiRefusesBadBodiesWithTheFieldAndServesItsOpenApiDocument() throws Exception {
        assertThat(http("POST", "/migrations", "{not json").statusCode()).isEqualTo(400);
        var unknownField = http("POST", "/migrations", "{\"guest\":\"g\",\"sourceHost\":\"hostA\",\"colour\":1}");
        assertThat(unknownField.statusCode()).isEqualTo(400);
        assertThat(unknownField.body()).contains("unknown field 'colour'");
        var badEnum =
                http("POST", "/migrations", "{\"guest\":\"g\",\"sourceHost\":\"hostA\",\"controlFlow\":\"FAST\"}");
        assertThat(badEnum.statusCode()).isEqualTo(400);
        assertThat(badEnum.body()).contains("controlFlow").contains("MANAGED_DIRECT");
        var missing = http("POST", "/migrations", "{\"sourceHost\":\"hostA\"}");
        assertThat(missing.body()).contains("'guest' is required");
        assertThat(http("GET", "/migrations/nope", null).statusCode()).isEqualTo(404);
        assertThat(http("POST", "/migrations/nope/cancel", null).statusCode()).isEqualTo(404);
        var doc = http("GET", "/openapi.yaml", null);
        assertThat(doc.statusCode()).isEqualTo(200);
        assertThat(doc.body()).contains("openapi: 3.1.0").contains("/migrations/{id}/events");
    }

    /**
     * The seed's URI case: the destination's hostname does not resolve (to its migration address, or
     * at all), so a hypervisor URI naming it could not work; vmflow refuses it before anything starts, as
     * it refuses any stream to a place that is not an address of the destination, and an explicit URI
     * with the destination's IP address works.
     */
    @Test
    void anExplicitHypervisorUriWithAnIpWorksWhereTheHostnameDoesNotResolve() throws Exception {
        assertThatThrownBy(() -> java.net.InetAddress.getByName("hostB"))
                .as("hostB's name resolves nowhere here")
                .isInstanceOf(java.net.UnknownHostException.class);
        TestGuest guest = new TestGuest("c-uri-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        try {
            guest.start(agents.hostA, false);
            awaitInventory(guest);
            MigrationSpec.Builder spec = MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER);

            String byName = request(spec.setMigrationUri("tcp://hostB").build());
            MigrationEvent refused = events.awaitFinal(byName, Duration.ofMinutes(3));
            assertThat(refused.getPhase()).as("%s", events.of(byName)).isEqualTo(Phase.REJECTED);
            assertThat(refused.getReason().getCode()).isEqualTo("MIGRATION_URI_NOT_ALLOWED");
            assertThat(refused.getReason().getMessage())
                    .as("it names the addresses that would do")
                    .contains(agents.hostB.migrationAddress());
            guest.assertRunningIntact(agents.hostA);

            long before = agents.hostB.migrationNetworkRxBytes();
            String byIp = request(spec.setMigrationUri("tcp://" + agents.hostB.migrationAddress())
                    .build());
            assertThat(events.awaitFinal(byIp, Duration.ofMinutes(3)).getPhase())
                    .as("%s", events.of(byIp))
                    .isEqualTo(Phase.SUCCEEDED);
            guest.assertRunningIntact(agents.hostB);
            assertThat(agents.hostB.migrationNetworkRxBytes() - before)
                    .as("the stream took the address the URI named")
                    .isGreaterThan(64L << 20);
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    @Test
    void invalidRequestsAreRejectedWithTheirReason() throws Exception {
        Map<String, MigrationSpec> bad = Map.of(
                "UNKNOWN_SOURCE_HOST",
                        MigrationSpec.newBuilder()
                                .setGuest("g")
                                .setSourceHost("hostZ")
                                .build(),
                "UNKNOWN_GUEST",
                        MigrationSpec.newBuilder()
                                .setGuest("no-such-guest")
                                .setSourceHost("hostA")
                                .build(),
                "SAME_HOST",
                        MigrationSpec.newBuilder()
                                .setGuest("g")
                                .setSourceHost("hostA")
                                .setDestinationHost("hostA")
                                .build(),
                "MISSING_HYPERVISOR_URI",
                        MigrationSpec.newBuilder()
                                .setGuest("g")
                                .setSourceHost("hostA")
                                .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                                .build(),
                "MALFORMED_URI",
                        MigrationSpec.newBuilder()
                                .setGuest("g")
                                .setSourceHost("hostA")
                                .setMigrationUri("exec:rm -rf /")
                                .build(),
                "CONFLICTING_FLAGS",
                        MigrationSpec.newBuilder()
                                .setGuest("g")
                                .setSourceHost("hostA")
                                .setLive(false)
                                .setPostCopy(true)
                                .build(),
                "TUNNELLED_WITHOUT_RELAY",
                        MigrationSpec.newBuilder()
                                .setGuest("g")
                                .setSourceHost("hostA")
                                .setDestinationHost("hostB")
                                .setTransport(io.vmflow.avro.Transport.TUNNELLED)
                                .build(),
                "PORT_OUT_OF_RANGE",
                        MigrationSpec.newBuilder()
                                .setGuest("g")
                                .setSourceHost("hostA")
                                .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                                .setMigrationUri("tcp://10.251.0.2:4444")
                                .build());
        TestGuest g = new TestGuest("g", 64, "idle");
        try {
            g.start(agents.hostA, false);
            awaitInventory(g);
            for (Map.Entry<String, MigrationSpec> e : bad.entrySet()) {
                var viaHttp = http("POST", "/migrations", json(e.getValue()));
                assertThat(viaHttp.statusCode()).as(viaHttp.body()).isEqualTo(202);
                for (String id : List.of(
                        request(e.getValue()),
                        new io.vertx.core.json.JsonObject(viaHttp.body()).getString("migrationId"))) {
                    MigrationEvent last = events.awaitFinal(id, Duration.ofSeconds(60));
                    assertThat(last.getPhase()).as(e.getKey()).isEqualTo(Phase.REJECTED);
                    assertThat(last.getReason().getCode()).as("%s", last).isEqualTo(e.getKey());
                    assertThat(events.phases(id)).containsExactly(Phase.REQUESTED, Phase.REJECTED);
                }
            }
        } finally {
            g.remove(agents.hostA);
        }
    }

    /**
     * The API as an attacker meets it: no token, an expired one, one signed by another key, a viewer's
     * token on a write, a cross-site form POST, an operator cancelling someone else's migration: each
     * refused with its status and a body that says why, none echoing the token.
     */
    @Test
    void onlyAuthenticatedAndAuthorisedCallersGetThrough() throws Exception {
        String body =
                "{\"guest\":\"nope-" + UUID.randomUUID().toString().substring(0, 6) + "\",\"sourceHost\":\"hostA\"}";
        var none = http("POST", "/migrations", body, null, "application/json");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(none.body()).contains("UNAUTHENTICATED").contains("bearer token");

        com.fasterxml.jackson.databind.node.ObjectNode claims = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode()
                .put("iss", TestTokens.ISSUER)
                .put("aud", "vmflow")
                .put("sub", "it-alice")
                .put("exp", java.time.Instant.now().minusSeconds(600).getEpochSecond());
        claims.putArray("roles").add("admin");
        String expired = io.vmflow.runtime.security.Jwt.sign(TestTokens.signingKey(), claims);
        var late = http("GET", "/migrations", null, "Bearer " + expired, null);
        assertThat(late.statusCode()).isEqualTo(401);
        assertThat(late.body()).contains("expired").doesNotContain(expired);

        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        String foreign = io.vmflow.runtime.security.Jwt.sign(
                g.generateKeyPair().getPrivate(),
                TestTokens.ISSUER,
                "vmflow",
                "mallory",
                List.of("admin"),
                java.time.Instant.now(),
                Duration.ofMinutes(5));
        var forged = http("GET", "/migrations", null, "Bearer " + foreign, null);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(forged.body()).contains("does not verify");
        assertThat(http("GET", "/dashboard/board", null, null, null).statusCode())
                .isEqualTo(401);
        assertThat(http("GET", "/dashboard", null, null, null).statusCode())
                .as("the page itself holds no data")
                .isEqualTo(200);

        String viewer = TestTokens.bearer("it-viewer", "viewer");
        assertThat(http("GET", "/migrations", null, viewer, null).statusCode()).isEqualTo(200);
        var viewerWrites = http("POST", "/migrations", body, viewer, "application/json");
        assertThat(viewerWrites.statusCode()).isEqualTo(403);
        assertThat(viewerWrites.body()).contains("FORBIDDEN").contains("operator");

        String alice = TestTokens.bearer("it-alice", "operator");
        for (String type : List.of("application/x-www-form-urlencoded", "text/plain", "multipart/form-data")) {
            var form = http("POST", "/migrations", body, alice, type);
            assertThat(form.statusCode()).as(type).isEqualTo(415);
            assertThat(form.body()).contains("application/json");
        }

        var created = http("POST", "/migrations", body, alice, "application/json; charset=utf-8");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
        String id = new io.vertx.core.json.JsonObject(created.body()).getString("migrationId");
        MigrationEvent rejected = events.awaitFinal(id, Duration.ofMinutes(1));
        assertThat(rejected.getPrincipal())
                .as("the token's subject, not a header")
                .isEqualTo("it-alice");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http("GET", "/migrations/" + id, null).statusCode() == 200);
        var bob = http("POST", "/migrations/" + id + "/cancel", null, TestTokens.bearer("it-bob", "operator"), null);
        assertThat(bob.statusCode()).isEqualTo(403);
        assertThat(bob.body()).contains("its own migrations").contains("it-alice");
        var admin = http("POST", "/migrations/" + id + "/cancel", null, TestTokens.bearer("it-root", "admin"), null);
        assertThat(admin.statusCode())
                .as("an admin passes; the migration already ended")
                .isEqualTo(409);
    }

    /**
     * The API speaks TLS only, and a client certificate of the vmflow CA is a credential: a requester's
     * operates (recorded as its principal), an admin's administers, others have no role; plain HTTP
     * to the port gets nowhere.
     */
    @Test
    void clientCertificatesAreCredentialsAndPlainHttpGetsNowhere() throws Exception {
        assumeThat(io.vmflow.testsupport.TestHttps.enabled())
                .as("the stack runs with the plaintext development switch")
                .isTrue();
        String base = io.vmflow.testsupport.TestHttps.base(coordinator.httpPort());
        String body =
                "{\"guest\":\"nope-" + UUID.randomUUID().toString().substring(0, 6) + "\",\"sourceHost\":\"hostA\"}";
        java.util.function.BiFunction<java.net.http.HttpClient, String, java.net.http.HttpResponse<String>> post =
                (client, json) -> {
                    try {
                        return client.send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/migrations"))
                                        .header("Content-Type", "application/json")
                                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                };

        var carol = post.apply(io.vmflow.testsupport.TestHttps.as("requester", "it-carol"), body);
        assertThat(carol.statusCode()).as(carol.body()).isEqualTo(202);
        String id = new io.vertx.core.json.JsonObject(carol.body()).getString("migrationId");
        assertThat(events.awaitFinal(id, Duration.ofMinutes(1)).getPrincipal())
                .as("the certificate's principal")
                .isEqualTo("requester.it-carol");

        var relay = post.apply(io.vmflow.testsupport.TestHttps.as("relay", "it-cert-relay"), body);
        assertThat(relay.statusCode()).isEqualTo(403);
        assertThat(relay.body()).contains("relay.it-cert-relay").contains("no role");

        var plain = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        String plainBase = "http://127.0.0.1:" + coordinator.httpPort();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> plain.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(plainBase + "/migrations"))
                                .header("Authorization", TestTokens.bearer("it-alice", "operator"))
                                .timeout(Duration.ofSeconds(20))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()))
                .as("plain HTTP to the TLS port")
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void aCancelThroughTheHttpApiWhileRunningLeavesTheGuestIntactOnTheSource() throws Exception {
        TestGuest guest =
                new TestGuest("c-cancel-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=32");
        try {
            guest.start(agents.hostA, false);
            awaitInventory(guest);
            // capped so that it is still copying when the cancel arrives; it is aborted, never completed
            String id = request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                    .setBandwidthMiBps(2L)
                    .build());
            await().atMost(Duration.ofMinutes(2)).until(() -> events.phases(id).contains(Phase.RUNNING));

            var cancelled = http("POST", "/migrations/" + id + "/cancel", "{\"reason\":\"changed my mind\"}");
            assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(202);
            MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(2));

            assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.ABORTED);
            assertThat(last.getReason().getCode()).isEqualTo("CANCELLED");
            assertThat(last.getReason().getMessage()).contains("it-alice").contains("changed my mind");
            assertThat(events.phases(id)).containsSubsequence(Phase.RUNNING, Phase.ABORTING, Phase.ABORTED);
            assertCompleteAndOrdered(id);
            guest.assertRunningIntact(agents.hostA);
            assertThat(http("POST", "/migrations/" + id + "/cancel", null).statusCode())
                    .as("already ended")
                    .isEqualTo(409);
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"topic", "http"})
    void unmanagedIsHandedToTheHypervisorThenObservedAndConfirmed(String intake) throws Exception {
        TestGuest guest = new TestGuest("c-unm-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        int port = 49180 + (int) (Math.random() * 30); // inside the host's migration port range
        guest.start(agents.hostA, false);
        try (var destination = io.vmflow.testsupport.hosts.IncomingQemu.start(agents.hostB, guest.xml(), port)) {
            awaitInventory(guest);
            await().atMost(Duration.ofSeconds(30)).until(destination::listening);
            MigrationSpec spec = MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                    .setMigrationUri("tcp://" + agents.hostB.migrationAddress() + ":" + port)
                    .build();
            String id = intake.equals("topic")
                    ? request(spec)
                    : new io.vertx.core.json.JsonObject(
                                    http("POST", "/migrations", json(spec)).body())
                            .getString("migrationId");

            MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(3));

            assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.SUCCEEDED);
            // RUNNING repeats with QEMU's figures while the source agent watches it migrate
            assertThat(events.phases(id).stream().distinct().toList())
                    .containsExactly(
                            Phase.REQUESTED,
                            Phase.ACCEPTED,
                            Phase.SCHEDULED,
                            Phase.RUNNING,
                            Phase.CONFIRMING,
                            Phase.SUCCEEDED);
            assertThat(events.of(id).stream()
                            .filter(e -> e.getPhase() == Phase.RUNNING && e.getFigures() != null)
                            .count())
                    .as("progress of the unmanaged migration, read from QEMU")
                    .isPositive();
            guest.assertHeartbeatIntact(agents.hostB);
            assertThat(guest.observe(agents.hostA))
                    .as("the paused source copy is removed")
                    .isEmpty();
        } finally {
            guest.remove(agents.hostA);
        }
    }

    /**
     * The hypervisor runs an unmanaged migration alone, but it can still be stopped through it: the
     * source agent cancels QEMU's job on its monitor (a slow link keeps it copying until then).
     */
    @Test
    void anUnmanagedMigrationIsCancelledThroughQemuAndTheGuestStaysIntactOnTheSource() throws Exception {
        TestGuest guest =
                new TestGuest("c-unm-cancel-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=32");
        int port = 49180 + (int) (Math.random() * 30);
        guest.start(agents.hostA, false);
        try (var destination = io.vmflow.testsupport.hosts.IncomingQemu.start(agents.hostB, guest.xml(), port);
                AutoCloseable slow = agents.hostA.slowMigrationLink(24)) {
            awaitInventory(guest);
            await().atMost(Duration.ofSeconds(30)).until(destination::listening);
            String id = request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                    .setMigrationUri("tcp://" + agents.hostB.migrationAddress() + ":" + port)
                    .build());
            await().atMost(Duration.ofMinutes(2)).until(() -> events.phases(id).contains(Phase.RUNNING));

            var cancelled = http("POST", "/migrations/" + id + "/cancel", "{\"reason\":\"window closed\"}");
            assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(202);
            MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(2));

            assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.ABORTED);
            assertThat(last.getReason().getCode()).isEqualTo("CANCELLED");
            assertThat(events.phases(id)).containsSubsequence(Phase.RUNNING, Phase.ABORTING, Phase.ABORTED);
            assertCompleteAndOrdered(id);
            guest.assertRunningIntact(agents.hostA);
        } finally {
            guest.remove(agents.hostA);
        }
    }

    @Test
    void theSameRequestIdTwiceIsOneMigration() throws Exception {
        TestGuest guest = new TestGuest("c-dup-" + UUID.randomUUID().toString().substring(0, 6), 64, "idle");
        try {
            guest.start(agents.hostA, false);
            awaitInventory(guest);
            String id = "req-" + UUID.randomUUID().toString().substring(0, 8);
            MigrationRequest r = new MigrationRequest(
                    id,
                    MigrationSpec.newBuilder()
                            .setGuest(guest.name())
                            .setSourceHost("hostA")
                            .setDestinationHost("hostB")
                            .build(),
                    "it-alice",
                    "it",
                    null,
                    0,
                    Instant.now());
            for (int i = 0; i < 2; i++) {
                system.send(r);
            }
            assertThat(events.awaitFinal(id, Duration.ofMinutes(3)).getPhase()).isEqualTo(Phase.SUCCEEDED);
            var again = http(
                    "POST",
                    "/migrations",
                    "{\"requestId\":\"" + id + "\",\"guest\":\"" + guest.name() + "\",\"sourceHost\":\"hostA\"}");
            assertThat(again.statusCode()).isEqualTo(202);
            await().pollDelay(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> true);
            assertThat(events.of(id))
                    .filteredOn(e -> e.getPhase() == Phase.REQUESTED)
                    .hasSize(1);
            assertCompleteAndOrdered(id);
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    static List<Phase> withoutRepeats(List<Phase> phases) {
        List<Phase> out = new java.util.ArrayList<>();
        for (Phase p : phases) {
            if (out.isEmpty() || out.get(out.size() - 1) != p) {
                out.add(p);
            }
        }
        return out;
    }

    /** Waits until hostA's published state lists the guest (agents publish every 5 s by default). */
    static void awaitInventory(TestGuest guest) {
        system.awaitGuest("hostA", guest.name());
    }
}
