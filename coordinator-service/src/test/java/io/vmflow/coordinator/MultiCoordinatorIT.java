package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.avro.Actor;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.hosts.IncomingQemu;
import io.vmflow.testsupport.hosts.TestGuest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two coordinator instances share the work through their consumer group: each migration is driven by
 * the one instance that owns its partition, and when one instance stops, the other takes its
 * partitions over.
 */
class MultiCoordinatorIT {

    static AgentHarness agents;
    static KafkaProducer<String, byte[]> producer;
    static WireFormat wire;
    static Events events;
    static Endpoints endpoints;

    @BeforeAll
    static void start() throws Exception {
        endpoints = Endpoints.fromEnvironment();
        agents = new AgentHarness();
        wire = new WireFormat(endpoints.registry());
        events = new Events(endpoints, wire);
        producer = new KafkaProducer<>(endpoints.producer("it-requests"));
    }

    @AfterAll
    static void stop() {
        producer.close();
        events.close();
        agents.close();
    }

    static Map<String, String> env(String id) {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", endpoints.bootstrapServers());
        env.put("SCHEMA_REGISTRY_URL", endpoints.registryUrl());
        env.put("VMFLOW_COORDINATOR_ID", id);
        env.put("VMFLOW_COORDINATOR_HTTP", "127.0.0.1:0"); // the test asks each what it knows
        env.put("VMFLOW_COORDINATOR_MANAGEMENT", "127.0.0.1:0"); // several at once: any free port
        return env;
    }

    /** A request id whose records land on a given partition (Kafka's default partitioner). */
    static String idOnPartition(int partition) {
        while (true) {
            String id = "req-" + UUID.randomUUID().toString().substring(0, 8);
            int p = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8)))
                    % TopicCatalogue.MIGRATION_REQUESTS.partitions();
            if (p == partition) {
                return id;
            }
        }
    }

    static void request(String id, TestGuest g) throws Exception {
        request(
                id,
                MigrationSpec.newBuilder()
                        .setGuest(g.name())
                        .setSourceHost("hostA")
                        .setDestinationHost("hostB")
                        .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                        .build());
    }

    static void request(String id, MigrationSpec spec) throws Exception {
        MigrationRequest r = new MigrationRequest(id, spec, "it-alice", "it", null, 0, Instant.now());
        producer.send(new ProducerRecord<>(
                        TopicCatalogue.MIGRATION_REQUESTS.name(),
                        id,
                        wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), r)))
                .get();
    }

    static Set<String> coordinatorsOf(String id) {
        return events.of(id).stream()
                .filter(e -> e.getActor() == Actor.COORDINATOR)
                .map(MigrationEvent::getActorId)
                .collect(Collectors.toSet());
    }

    @Test
    void twoInstancesShareTheMigrationsAndOneTakesOverWhenTheOtherStops() throws Exception {
        List<TestGuest> guests = new ArrayList<>();
        String tag = UUID.randomUUID().toString().substring(0, 4);
        try (CoordinatorProcess one = CoordinatorProcess.start(env("it-coordinator"))) {
            CoordinatorProcess two = CoordinatorProcess.start(env("it-coordinator-2"));
            try {
                two.awaitPartitions();
                for (int i = 0; i < 4; i++) {
                    TestGuest g = new TestGuest("multi" + i + "-" + tag, 64, "idle");
                    g.start(agents.hostA, false);
                    guests.add(g);
                }
                // both instances must know the guests before the requests (agents publish inventory every 5 s)
                List<String> names = guests.stream().map(TestGuest::name).toList();
                one.awaitGuests("hostA", names);
                two.awaitGuests("hostA", names);
                List<String> ids = new ArrayList<>();
                for (int p = 0; p < TopicCatalogue.MIGRATION_REQUESTS.partitions(); p++) {
                    ids.add(idOnPartition(p));
                    request(ids.get(p), guests.get(p));
                }
                Set<String> drivers = new java.util.HashSet<>();
                for (String id : ids) {
                    assertThat(events.awaitFinal(id, Duration.ofMinutes(3)).getPhase())
                            .as("%s", events.of(id))
                            .isEqualTo(Phase.SUCCEEDED);
                    assertThat(coordinatorsOf(id))
                            .as("one instance drives %s", id)
                            .hasSize(1);
                    drivers.addAll(coordinatorsOf(id));
                }
                assertThat(drivers).containsExactlyInAnyOrder("it-coordinator", "it-coordinator-2");
            } finally {
                two.close(); // a clean stop leaves the group: its partitions go to the other at once
            }

            // after the stop the remaining instance owns every partition: one it did not own before
            String id = idOnPartition(TopicCatalogue.MIGRATION_REQUESTS.partitions() - 1);
            request(id, guests.get(3));
            assertThat(events.awaitFinal(id, Duration.ofMinutes(3)).getPhase()).isEqualTo(Phase.SUCCEEDED);
            assertThat(coordinatorsOf(id)).containsExactly("it-coordinator");
            for (TestGuest g : guests) {
                g.assertRunningIntact(agents.hostB);
            }
        } finally {
            for (TestGuest g : guests) {
                g.remove(agents.hostA);
                g.remove(agents.hostB);
            }
        }
    }

    /**
     * Issue 15, part 5: one of two instances killed with SIGKILL while a migration of each flow runs on a
     * partition it owns. The other takes the partitions over when the group's session ends (15 s); the
     * sources keep going (a lease grace longer than that lets managed direct wait for the new owner, whose
     * lease is believed because it owns the migration now), forwarded steps carry the old generation and
     * are still valid, and every migration succeeds with the guest intact and one complete log.
     */
    @Test
    void migrationsOfEveryFlowOutliveTheKillOfTheInstanceThatDrivesThem() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 4);
        Map<String, String> survivorEnv = env("it-coordinator");
        Map<String, String> victimEnv = env("it-coordinator-2");
        for (Map<String, String> e : List.of(survivorEnv, victimEnv)) {
            e.put("VMFLOW_COORDINATOR_LEASE_GRACE_MS", "40000");
            e.put("VMFLOW_COORDINATOR_OUTBOUND_LIMIT", "4");
        }
        TestGuest direct = new TestGuest("fire-md-" + tag, 256, "ws=2 paced");
        TestGuest peer = new TestGuest("fire-p2p-" + tag, 256, "ws=2 paced");
        TestGuest unmanaged = new TestGuest("fire-um-" + tag, 256, "ws=2 paced");
        List<TestGuest> guests = List.of(direct, peer, unmanaged);
        IncomingQemu incoming = null;
        try (CoordinatorProcess survivor = CoordinatorProcess.start(survivorEnv)) {
            CoordinatorProcess victim = CoordinatorProcess.start(victimEnv);
            try {
                victim.awaitPartitions();
                for (TestGuest g : guests) {
                    g.start(agents.hostA, false);
                }
                int port = 49180 + (int) (Math.random() * 30);
                incoming = IncomingQemu.start(agents.hostB, unmanaged.xml(), port);
                IncomingQemu listening = incoming;
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(listening::listening);
                List<String> names = guests.stream().map(TestGuest::name).toList();
                survivor.awaitGuests("hostA", names);
                victim.awaitGuests("hostA", names);
                int owned = ownedPartition(victim.log());
                Map<String, MigrationSpec> specs = new java.util.LinkedHashMap<>();
                specs.put(
                        idOnPartition(owned),
                        spec(direct, ControlFlow.MANAGED_DIRECT).build());
                specs.put(
                        idOnPartition(owned),
                        spec(peer, ControlFlow.MANAGED_PEER_TO_PEER).build());
                specs.put(
                        idOnPartition(owned),
                        spec(unmanaged, ControlFlow.UNMANAGED_DIRECT)
                                .clearDestinationHost()
                                .setMigrationUri("tcp://" + agents.hostB.migrationAddress() + ":" + port)
                                .build());
                for (var e : specs.entrySet()) {
                    request(e.getKey(), e.getValue());
                }
                org.awaitility.Awaitility.await()
                        .atMost(Duration.ofMinutes(2))
                        .until(() -> specs.keySet().stream()
                                .allMatch(id -> events.phases(id).contains(Phase.RUNNING)));
                victim.killHard();
                for (String id : specs.keySet()) {
                    MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(3));
                    assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.SUCCEEDED);
                    events.assertCompleteAndOrdered(id);
                    assertThat(victim.log()).as("the victim drove %s", id).contains("Work " + id);
                    assertThat(survivor.log())
                            .as("the survivor took %s over", id)
                            .contains("Work " + id);
                }
                direct.assertRunningIntact(agents.hostB);
                peer.assertRunningIntact(agents.hostB);
                unmanaged.assertHeartbeatIntact(agents.hostB);
            } finally {
                victim.close();
            }
        } finally {
            for (TestGuest g : guests) {
                g.remove(agents.hostA);
                g.remove(agents.hostB);
            }
            if (incoming != null) {
                incoming.close();
            }
        }
    }

    static MigrationSpec.Builder spec(TestGuest g, ControlFlow flow) {
        return MigrationSpec.newBuilder()
                .setGuest(g.name())
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(flow)
                .setBandwidthMiBps(32L);
    }

    /** A partition an instance took, from its log ("restored ... for partitions [2]"). */
    static int ownedPartition(String log) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("for partitions \\[(\\d+)").matcher(log);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        assertThat(last).as("the instance's log names its partitions").isNotNull();
        return Integer.parseInt(last);
    }
}
