package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The coordinator killed with SIGKILL in the middle of migrations (managed direct must end with the
 * guest running on the source; peer-to-peer must succeed; the audit log must have no gap and no
 * duplicate), and admission limits holding under a burst of requests.
 */
class CoordinatorCrashAndLimitsIT {

    static AgentHarness agents;
    static KafkaProducer<String, byte[]> producer;
    static WireFormat wire;
    static Events events;
    static Map<String, String> env;

    @BeforeAll
    static void start() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        agents = new AgentHarness();
        wire = new WireFormat(endpoints.registry());
        events = new Events(endpoints, wire);
        producer = new KafkaProducer<>(endpoints.producer("it-requests"));
        env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", endpoints.bootstrapServers());
        env.put("SCHEMA_REGISTRY_URL", endpoints.registryUrl());
        env.put("VMFLOW_COORDINATOR_ID", "it-coordinator");
        env.put("VMFLOW_COORDINATOR_HTTP", "127.0.0.1:0"); // the tests ask it what it knows
        env.put("VMFLOW_COORDINATOR_MANAGEMENT", "127.0.0.1:0"); // several at once: any free port
        env.put("VMFLOW_COORDINATOR_LEASE_TTL_MS", "3000");
        env.put("VMFLOW_COORDINATOR_LEASE_GRACE_MS", "2000");
        env.put("VMFLOW_COORDINATOR_OUTBOUND_LIMIT", "2");
    }

    @AfterAll
    static void stop() {
        producer.close();
        events.close();
        agents.close();
    }

    static String request(MigrationSpec spec) throws Exception {
        String id = "req-" + UUID.randomUUID().toString().substring(0, 8);
        MigrationRequest r = new MigrationRequest(id, spec, "it-alice", "it", null, 0, Instant.now());
        producer.send(new ProducerRecord<>(
                        TopicCatalogue.MIGRATION_REQUESTS.name(),
                        id,
                        wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), r)))
                .get();
        return id;
    }

    static void assertNoGapNoDuplicate(String id) {
        List<MigrationEvent> log = events.of(id);
        assertThat(log.stream().map(MigrationEvent::getSequence).toList())
                .as("%s", log)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, log.size()).boxed().toList());
        for (int i = 1; i < log.size(); i++) {
            assertThat(log.get(i).getPreviousPhase()).isEqualTo(log.get(i - 1).getPhase());
        }
    }

    static void awaitPhase(String id, Set<Phase> phases) {
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> events.of(id).stream().anyMatch(e -> phases.contains(e.getPhase())));
    }

    /** Until the coordinator lists the guests on hostA (the agents publish their inventory every 5 s). */
    static void awaitListed(CoordinatorProcess c, List<TestGuest> guests) {
        c.awaitGuests("hostA", guests.stream().map(TestGuest::name).toList());
    }

    @Test
    void killedDuringAManagedDirectMigrationTheSourceAbortsAndTheRestartedCoordinatorSaysAborted() throws Exception {
        TestGuest guest =
                new TestGuest("crash-direct-" + UUID.randomUUID().toString().substring(0, 4), 128, "ws=8");
        try {
            guest.start(agents.hostA, false);
            CoordinatorProcess first = CoordinatorProcess.start(env);
            awaitListed(first, List.of(guest));
            // capped so that the copy outlasts the lease; it is aborted, so the source keeps the guest intact
            String id = request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(ControlFlow.MANAGED_DIRECT)
                    .setBandwidthMiBps(2L)
                    .build());
            awaitPhase(id, EnumSet.of(Phase.RUNNING));
            first.killHard();
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> agents.reports.forMigration(id).stream()
                            .anyMatch(r -> r.getKind() == ReportKind.LEASE_LAPSED));

            try (CoordinatorProcess second = CoordinatorProcess.start(env)) {
                MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(2));
                assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.ABORTED);
                assertThat(last.getReason().getCode()).isEqualTo("LEASE_LAPSED");
            }
            assertNoGapNoDuplicate(id);
            guest.assertRunningIntact(agents.hostA);
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    @Test
    void killedDuringAPeerToPeerMigrationTheMigrationGoesOnAndTheRestartedCoordinatorReportsSucceeded()
            throws Exception {
        TestGuest guest =
                new TestGuest("crash-p2p-" + UUID.randomUUID().toString().substring(0, 4), 128, "ws=8");
        try {
            guest.start(agents.hostA, false);
            CoordinatorProcess first = CoordinatorProcess.start(env);
            awaitListed(first, List.of(guest));
            String id = request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                    .build());
            awaitPhase(id, EnumSet.of(Phase.SCHEDULED));
            first.killHard();
            await().atMost(Duration.ofMinutes(2))
                    .until(() -> agents.reports.forMigration(id).stream()
                            .anyMatch(r -> r.getKind() == ReportKind.COMMAND_SUCCEEDED
                                    && r.getHostId().equals("hostA")));

            try (CoordinatorProcess second = CoordinatorProcess.start(env)) {
                MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(2));
                assertThat(last.getPhase()).as("%s", events.of(id)).isEqualTo(Phase.SUCCEEDED);
            }
            assertNoGapNoDuplicate(id);
            guest.assertRunningIntact(agents.hostB);
        } finally {
            guest.remove(agents.hostA);
            guest.remove(agents.hostB);
        }
    }

    @Test
    void fiveRequestsFromOneHostNeverRunMoreThanTwoAtOnce() throws Exception {
        List<TestGuest> guests = new ArrayList<>();
        String tag = UUID.randomUUID().toString().substring(0, 4);
        try (CoordinatorProcess c = CoordinatorProcess.start(env)) {
            for (int i = 0; i < 5; i++) {
                TestGuest g = new TestGuest("limit" + i + "-" + tag, 64, "idle");
                g.start(agents.hostA, false);
                guests.add(g);
            }
            awaitListed(c, guests);
            List<String> ids = new ArrayList<>();
            for (TestGuest g : guests) {
                ids.add(request(MigrationSpec.newBuilder()
                        .setGuest(g.name())
                        .setSourceHost("hostA")
                        .setDestinationHost("hostB")
                        .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                        .build()));
            }
            for (String id : ids) {
                assertThat(events.awaitFinal(id, Duration.ofMinutes(5)).getPhase())
                        .as("%s", events.of(id))
                        .isEqualTo(Phase.SUCCEEDED);
            }

            // replay the log in commit order: how many were in flight at once
            List<MigrationEvent> all = new ArrayList<>();
            ids.forEach(id -> all.addAll(events.of(id)));
            // within one millisecond, a migration that ended did so before the one it made room for was
            // admitted (the engine handles reports before admission in each loop)
            all.sort(Comparator.comparing(MigrationEvent::getOccurredAt)
                    .thenComparing(e -> Events.FINAL.contains(e.getPhase()) ? 0 : 1));
            Set<Phase> inFlight = EnumSet.of(
                    Phase.SCHEDULED,
                    Phase.PREPARING_TARGET,
                    Phase.TARGET_READY,
                    Phase.RUNNING,
                    Phase.SWITCHING_OVER,
                    Phase.FINISHING,
                    Phase.CONFIRMING,
                    Phase.ABORTING);
            Map<String, Phase> now = new HashMap<>();
            int max = 0;
            for (MigrationEvent e : all) {
                now.put(e.getMigrationId(), e.getPhase());
                max = Math.max(max, (int)
                        now.values().stream().filter(inFlight::contains).count());
            }
            assertThat(max)
                    .as(
                            "%s",
                            all.stream()
                                    .map(e -> e.getOccurredAt() + " " + e.getMigrationId() + " " + e.getPhase())
                                    .toList())
                    .isLessThanOrEqualTo(2);
            assertThat(ids.stream().flatMap(id -> events.phases(id).stream())).contains(Phase.QUEUED);
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
}
