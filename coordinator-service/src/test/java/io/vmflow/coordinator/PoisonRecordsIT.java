package io.vmflow.coordinator;

import static io.vmflow.runtime.serde.AvroBytes.concat;
import static io.vmflow.runtime.serde.AvroBytes.varint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.HostState;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.avro.SessionAction;
import io.vmflow.avro.Transport;
import io.vmflow.avro.TunnelSession;
import io.vmflow.relay.it.RelayProcess;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.SampleRecords;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.hosts.TestGuest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Anything on any topic a vmflow service consumes, as a hostile or broken producer would send it:
 * every record ends on the dead-letter topic with a reason, every service stays ready, survives a
 * restart on the same topics, and then migrates a real guest intact.
 */
class PoisonRecordsIT {

    private static final String POISON = "vmflow.it.poison";
    private static final int HUGE = Integer.MAX_VALUE;

    static CoordinatorFixture system;
    static Endpoints endpoints = Endpoints.fromEnvironment();

    @BeforeAll
    static void start() throws Exception {
        system = CoordinatorFixture.startWithRelays("it-poison");
    }

    @AfterAll
    static void stop() throws Exception {
        system.close();
    }

    /** Every topic a vmflow service consumes, with a good record of its type to spoil. */
    static Map<Topic, SpecificRecord> consumedTopics() {
        Map<Topic, SpecificRecord> m = new LinkedHashMap<>(SampleRecords.byTopic());
        m.remove(TopicCatalogue.SMOKE_TEST); // read by nobody but `vmflow roundtrip`
        m.put(TopicCatalogue.hostCommands("hostB"), SampleRecords.command());
        return m;
    }

    /** Ways to spoil a good record of a topic: wire-format framing, Avro prefixes, registry ids, sizes. */
    static Map<String, byte[]> poisons(byte[] good, int jsonId, int protobufId, Random random) {
        byte[] body = Arrays.copyOfRange(good, WireFormat.HEADER_LENGTH, good.length);
        Map<String, byte[]> p = new LinkedHashMap<>();
        p.put("truncated", Arrays.copyOf(good, WireFormat.HEADER_LENGTH + body.length / 2));
        p.put("trailing-bytes", concat(good, new byte[] {1, 2, 3}));
        p.put("oversized", concat(good, new byte[600 * 1024]));
        for (int k : new int[] {0, body.length / 3, 2 * body.length / 3, body.length - 1}) {
            // read as a string or bytes length, an array or map count, a union branch... whatever is there
            p.put(
                    "prefix-2GiB@" + k,
                    concat(
                            header(WireFormat.schemaId(good)),
                            Arrays.copyOf(body, k),
                            varint(HUGE),
                            Arrays.copyOfRange(body, k, body.length)));
            p.put(
                    "prefix-negative@" + k,
                    concat(
                            header(WireFormat.schemaId(good)),
                            Arrays.copyOf(body, k),
                            varint(Long.MIN_VALUE),
                            Arrays.copyOfRange(body, k, body.length)));
        }
        p.put("unknown-schema-id", concat(header(HUGE - 7), body));
        p.put("json-schema-id", concat(header(jsonId), body));
        p.put("protobuf-schema-id", concat(header(protobufId), body));
        p.put("wrong-magic-byte", concat(new byte[] {1}, Arrays.copyOfRange(good, 1, good.length)));
        p.put("json-text", "{\"migrationId\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        p.put("empty", new byte[0]);
        byte[] noise = new byte[900 * 1024];
        random.nextBytes(noise);
        p.put("random-900KiB", noise);
        byte[] framedNoise = noise.clone();
        System.arraycopy(good, 0, framedNoise, 0, WireFormat.HEADER_LENGTH); // a good header, then noise
        p.put("random-900KiB-framed", framedNoise);
        return p;
    }

    @Test
    void anyBytesOnAnyTopicAreDeadLetteredAndNoServiceStops() throws Exception {
        WireFormat wire = system.wire;
        int jsonId = registerForeign(
                "vmflow-it-poison-json",
                "JSON",
                "{\"type\":\"object\",\"properties\":{\"poison\":{\"type\":\"string\"}}}");
        int protobufId = registerForeign(
                "vmflow-it-poison-protobuf", "PROTOBUF", "syntax = \"proto3\";\nmessage Poison { string a = 1; }");
        Random random = new Random(42);
        String run = UUID.randomUUID().toString().substring(0, 6);
        Map<TopicPartition, Long> dltStart = endOffsets(TopicCatalogue.DEAD_LETTER.name());

        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("it-poison"))) {
            for (Map.Entry<Topic, SpecificRecord> e : consumedTopics().entrySet()) {
                Topic topic = e.getKey();
                byte[] good = wire.encode(topic.valueSubject(), e.getValue());
                Map<String, byte[]> values = new LinkedHashMap<>(poisons(good, jsonId, protobufId, random));
                if (!topic.isCompacted()) {
                    values.put("null-value", null); // on a compacted topic a null value is a tombstone
                }
                int n = 0;
                for (Map.Entry<String, byte[]> v : values.entrySet()) {
                    String tag = topic.name() + "/" + v.getKey() + "/" + run;
                    // a compacted topic refuses records without a key; elsewhere every third one has none
                    String key = !topic.isCompacted() && n++ % 3 == 2 ? null : "poison-" + run + "-" + n;
                    ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic.name(), key, v.getValue());
                    r.headers().add(POISON, tag.getBytes(StandardCharsets.UTF_8));
                    producer.send(r).get();
                    sent.add(tag);
                }
            }
            // well-formed records on hostA's own topics that speak for hostB (as hostA's key could write)
            HostReport report = SampleRecords.report();
            report.setHostId("hostB");
            HostState state = SampleRecords.hostState();
            state.setHostId("hostB");
            state.setLibvirtUri("qemu+tcp://192.0.2.66/system");
            // on hostA's peer commands: a PREPARE for hostB of a migration whose source is another host,
            // and a PERFORM, which only the coordinator sends
            HostCommand prepare = SampleRecords.command();
            prepare.setType(CommandType.PREPARE);
            prepare.setHostId("hostB");
            prepare.getSpec().setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER);
            prepare.getSpec().setSourceHost("hostC");
            HostCommand perform = SampleRecords.command();
            perform.setHostId("hostB");
            perform.setPeerHost("hostA");
            perform.getSpec().setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER);
            perform.getSpec().setSourceHost("hostA");
            // on hostA's tunnel sessions: a CLOSE of a session whose source is hostB (hostA's relay is named)
            TunnelSession closeB = SampleRecords.tunnelSession();
            closeB.setSourceHost("hostB");
            closeB.setDestinationHost("hostA");
            closeB.setAction(SessionAction.CLOSE);
            Map<String, Map.Entry<Topic, SpecificRecord>> forged = new LinkedHashMap<>();
            forged.put("forged-report", Map.entry(TopicCatalogue.hostReports("hostA"), report));
            forged.put("forged-state", Map.entry(TopicCatalogue.hostState("hostA"), state));
            forged.put("forged-peer-prepare", Map.entry(TopicCatalogue.peerCommands("hostA"), prepare));
            forged.put("forged-peer-perform", Map.entry(TopicCatalogue.peerCommands("hostA"), perform));
            forged.put("forged-session", Map.entry(TopicCatalogue.tunnelSessions("hostA"), closeB));
            for (Map.Entry<String, Map.Entry<Topic, SpecificRecord>> f : forged.entrySet()) {
                Topic topic = f.getValue().getKey();
                // keyed by the host the record claims to be (state) or its migration
                String key = f.getValue().getValue() instanceof HostState ? "hostB" : "mig-1";
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(
                        topic.name(),
                        key,
                        wire.encode(topic.valueSubject(), f.getValue().getValue()));
                r.headers().add(POISON, (f.getKey() + "/" + run).getBytes(StandardCharsets.UTF_8));
                producer.send(r).get();
                sent.add(f.getKey() + "/" + run);
            }
            // on hostA's state, a tombstone keyed for hostB: it would retire hostB
            ProducerRecord<String, byte[]> tombstone =
                    new ProducerRecord<>(TopicCatalogue.hostState("hostA").name(), "hostB", null);
            tombstone.headers().add(POISON, ("forged-tombstone/" + run).getBytes(StandardCharsets.UTF_8));
            producer.send(tombstone).get();
            sent.add("forged-tombstone/" + run);
        }

        Map<String, ConsumerRecord<String, byte[]>> dead = new ConcurrentHashMap<>();
        try (KafkaConsumer<String, byte[]> dlt = new KafkaConsumer<>(endpoints.consumer(null, "it-poison-dlt"))) {
            dlt.assign(dltStart.keySet());
            dltStart.forEach(dlt::seek);
            await("every poison record dead-lettered")
                    .atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ZERO)
                    .until(() -> {
                        for (ConsumerRecord<String, byte[]> r : dlt.poll(Duration.ofMillis(500))) {
                            String tag = DeadLetters.header(r.headers(), POISON);
                            if (tag != null) {
                                dead.putIfAbsent(tag, r);
                            }
                        }
                        return dead.keySet().containsAll(sent);
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            List<String> missing = new ArrayList<>(sent);
            missing.removeAll(dead.keySet());
            throw new AssertionError("not dead-lettered: " + missing, e);
        }
        Map<String, String> reasons = new HashMap<>();
        dead.forEach((tag, r) -> reasons.put(tag, DeadLetters.header(r.headers(), DeadLetters.REASON)));
        assertThat(reasons)
                .as("every dead letter says why")
                .allSatisfy((tag, reason) -> assertThat(reason).isNotBlank());
        assertThat(dead.values()).allSatisfy(r -> {
            assertThat(DeadLetters.header(r.headers(), DeadLetters.TOPIC)).isNotBlank();
            assertThat(DeadLetters.header(r.headers(), DeadLetters.OFFSET)).isNotBlank();
            assertThat(DeadLetters.header(r.headers(), DeadLetters.CONSUMER)).isNotBlank();
        });
        assertThat(reasons.get("vmflow.migration-requests/prefix-2GiB@0/" + run))
                .isEqualTo("MALFORMED_AVRO");
        assertThat(reasons.get("vmflow.host-reports.hostA/json-schema-id/" + run))
                .isEqualTo("NOT_AN_AVRO_SCHEMA");
        // on hostA's own topics, speaking for hostB or for a migration hostA is not the source of
        Map<String, String> expected = Map.of(
                "forged-report", "NOT_ITS_HOST",
                "forged-state", "NOT_ITS_HOST",
                "forged-peer-prepare", "NOT_ITS_HOST",
                "forged-peer-perform", "UNSUPPORTED_COMMAND",
                "forged-session", "NOT_ITS_HOST",
                "forged-tombstone", "NOT_ITS_HOST");
        Map<String, String> forgedReasons = new HashMap<>();
        expected.keySet().forEach(f -> forgedReasons.put(f, reasons.get(f + "/" + run)));
        assertThat(forgedReasons).as("why each forged record was dead-lettered").isEqualTo(expected);
        assertThat(system.coordinator.inventory().host("hostB").orElseThrow().getLibvirtUri())
                .as("the forged state and tombstone changed nothing")
                .isNotEqualTo("qemu+tcp://192.0.2.66/system");
        assertThat(reasons.get("vmflow.tunnel-sessions.hostA/empty/" + run)).isEqualTo("TRUNCATED");
        assertThat(reasons.get("vmflow.host-commands.hostA/null-value/" + run)).isEqualTo("NULL_VALUE");

        assertEveryServiceReady();
        system.restartAll(); // every service reads the same topics again from where it stood
        assertEveryServiceReady();

        TestGuest guest = new TestGuest("poison-" + run, 128, "ws=8");
        guest.start(system.agents.hostA, false);
        try {
            system.awaitGuest("hostA", guest.name());
            String id = system.request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                    .setTransport(Transport.TUNNELLED)
                    .build());
            MigrationEvent last = system.events.awaitFinal(id, Duration.ofMinutes(4));
            assertThat(last.getPhase()).as("%s", system.events.of(id)).isEqualTo(Phase.SUCCEEDED);
            system.events.assertCompleteAndOrdered(id);
            guest.assertRunningIntact(system.agents.hostB);
        } finally {
            guest.remove(system.agents.hostA);
            guest.remove(system.agents.hostB);
        }
    }

    /**
     * A migration whose state makes the coordinator's processing throw (here a completion timeout so
     * large that computing its deadline overflows, as a snapshot from before the request bounds could
     * hold): it alone ends FAILED with INTERNAL_ERROR naming the exception, its source is told to
     * abort, and the coordinator stays ready; before, the tick threw on every round and the engine died.
     * Its last record on the snapshot topic is garbage: the restore falls back to the snapshot before it.
     */
    @Test
    void aMigrationWhoseProcessingThrowsEndsFailedAndTheCoordinatorGoesOn() throws Exception {
        WireFormat wire = system.wire;
        String id = "poisoned-state-" + UUID.randomUUID().toString().substring(0, 6);
        MigrationSpec spec = MigrationSpec.newBuilder()
                .setGuest("ghost-" + id)
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .setCompletionTimeoutSecondsPerGiB(Long.MAX_VALUE)
                .build(); // its milliseconds overflow a long
        java.time.Instant now = java.time.Instant.now();
        List<io.vmflow.avro.Phase> path = List.of(Phase.REQUESTED, Phase.ACCEPTED, Phase.SCHEDULED, Phase.RUNNING);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("it-poisoned-state"))) {
            for (int i = 0; i < path.size(); i++) {
                MigrationEvent e = MigrationEvent.newBuilder()
                        .setEventId(id + "#" + (i + 1))
                        .setMigrationId(id)
                        .setSequence(i + 1)
                        .setPreviousPhase(i == 0 ? null : path.get(i - 1))
                        .setPhase(path.get(i))
                        .setOccurredAt(now)
                        .setActor(io.vmflow.avro.Actor.COORDINATOR)
                        .setActorId("it-coordinator")
                        .setPrincipal("it-poison")
                        .setRequestId(id)
                        .setSpec(spec)
                        .build();
                producer.send(new ProducerRecord<>(
                                TopicCatalogue.MIGRATION_EVENTS.name(),
                                id,
                                wire.encode(TopicCatalogue.MIGRATION_EVENTS.valueSubject(), e)))
                        .get();
            }
            io.vmflow.avro.MigrationSnapshot snapshot = io.vmflow.avro.MigrationSnapshot.newBuilder()
                    .setMigrationId(id)
                    .setRequestId(id)
                    .setPrincipal("it-poison")
                    .setSpec(spec)
                    .setPhase(Phase.RUNNING)
                    .setSequence(path.size())
                    .setGuestMemoryBytes(1L << 30)
                    .setPerforming(true)
                    .setRunningSinceMs(now.toEpochMilli())
                    .setLastProgressAtMs(now.toEpochMilli())
                    .setCreatedAt(now)
                    .setUpdatedAt(now)
                    .setCoordinatorId("it-coordinator")
                    .build();
            producer.send(new ProducerRecord<>(
                            TopicCatalogue.MIGRATION_SNAPSHOTS.name(),
                            id,
                            wire.encode(TopicCatalogue.MIGRATION_SNAPSHOTS.valueSubject(), snapshot)))
                    .get();
            // and after it, under the migration's key, a record that is no snapshot (the broker has not
            // compacted the good one away yet): the restore must fall back to the good one, or the
            // migration is lost and never ends
            producer.send(new ProducerRecord<>(
                            TopicCatalogue.MIGRATION_SNAPSHOTS.name(),
                            id,
                            "not a snapshot".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .get();
        }
        system.restartCoordinator(); // it resumes the migration from its last good snapshot, and ticks it

        MigrationEvent last = system.events.awaitFinal(id, Duration.ofMinutes(2));
        assertThat(last.getPhase()).isEqualTo(Phase.FAILED);
        assertThat(last.getSequence()).isEqualTo(path.size() + 1);
        assertThat(last.getReason().getCode()).isEqualTo("INTERNAL_ERROR");
        assertThat(last.getReason().getMessage())
                .contains("ArithmeticException")
                .contains("hostA was told to abort");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(system.coordinator.readiness().ok())
                        .as(system.coordinator.readiness().text())
                        .isTrue());
    }

    private static void assertEveryServiceReady() throws Exception {
        await("every service ready").atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(system.coordinator.readiness().ok())
                    .as(system.coordinator.readiness().text())
                    .isTrue();
            assertThat(system.agents.agentA().readiness().ok())
                    .as(system.agents.agentA().readiness().text())
                    .isTrue();
            assertThat(system.agents.agentB().readiness().ok())
                    .as(system.agents.agentB().readiness().text())
                    .isTrue();
            for (String host : List.of("hostA", "hostB")) {
                RelayProcess relay = system.relay(host);
                assertThat(relay.isAlive()).as("relay %s runs", host).isTrue();
                assertThat(relay.ready()).as("relay %s", host).startsWith("200 READY");
            }
        });
    }

    /** Registers a schema of another kind (JSON, Protobuf) as any registry client could; returns its id. */
    private static int registerForeign(String subject, String type, String schema) throws Exception {
        String body = new io.vertx.core.json.JsonObject()
                .put("schema", schema)
                .put("schemaType", type)
                .encode();
        HttpClient.Builder client = HttpClient.newBuilder();
        if (endpoints.tlsDir() != null) {
            client.sslContext(io.vmflow.runtime.security.PemTls.client(endpoints.tlsDir()));
        }
        HttpResponse<String> r = client.build()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(endpoints.registryUrl() + "/subjects/" + subject + "/versions"))
                                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new io.vertx.core.json.JsonObject(r.body()).getInteger("id");
    }

    private static Map<TopicPartition, Long> endOffsets(String topic) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, "it-poison-offsets"))) {
            return c.endOffsets(c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList());
        }
    }

    private static byte[] header(int schemaId) {
        return ByteBuffer.allocate(WireFormat.HEADER_LENGTH)
                .put(WireFormat.MAGIC_BYTE)
                .putInt(schemaId)
                .array();
    }
}
