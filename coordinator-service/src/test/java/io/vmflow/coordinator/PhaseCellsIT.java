package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostState;
import io.vmflow.avro.Liveness;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cells of docs/phases.md reached with real hosts, a coordinator with short deadlines (5 s a step,
 * 8 s in the queue) and room for one migration at a time: a queued request cancelled, a queued request
 * that times out, a running managed-direct migration cancelled, and a hand-off whose destination never
 * answers PREPARE (a host that publishes state but whose agent hangs), aborted at the step deadline:
 * the abort ends the source agent's wait for its peer, so it never goes on to migrate the guest.
 */
class PhaseCellsIT {

    static CoordinatorFixture system;

    @BeforeAll
    static void start() throws Exception {
        system = CoordinatorFixture.start(
                "it-cells",
                Map.of(),
                Map.of(
                        "VMFLOW_COORDINATOR_STEP_TIMEOUT_MS",
                        "5000",
                        "VMFLOW_COORDINATOR_QUEUE_TIMEOUT_MS",
                        "8000",
                        "VMFLOW_COORDINATOR_CLUSTER_LIMIT",
                        "1"));
    }

    @AfterAll
    static void stop() throws Exception {
        system.close();
    }

    @Test
    void queuedCancelledQueuedTimedOutAndRunningDirectCancelled() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 6);
        TestGuest slow = new TestGuest("cells-slow-" + run, 256, "ws=32");
        TestGuest waiting = new TestGuest("cells-wait-" + run, 64, "idle");
        TestGuest late = new TestGuest("cells-late-" + run, 64, "idle");
        try (AutoCloseable link = system.agents.hostA.slowMigrationLink(24)) {
            for (TestGuest g : List.of(slow, waiting, late)) {
                g.start(system.agents.hostA, false);
                system.awaitGuest("hostA", g.name());
            }
            String running = system.request(spec(slow, ControlFlow.MANAGED_DIRECT));
            await().atMost(Duration.ofMinutes(2))
                    .until(() -> system.events.phases(running).contains(Phase.RUNNING));

            String cancelled = system.request(spec(waiting, ControlFlow.MANAGED_PEER_TO_PEER));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> system.events.phases(cancelled).contains(Phase.QUEUED));
            system.cancel(cancelled, "not needed any more");
            MigrationEvent c = system.events.awaitFinal(cancelled, Duration.ofSeconds(30));
            assertThat(c.getPhase()).isEqualTo(Phase.ABORTED);
            assertThat(c.getReason().getCode()).isEqualTo("CANCELLED");

            String timedOut = system.request(spec(late, ControlFlow.MANAGED_PEER_TO_PEER));
            MigrationEvent t = system.events.awaitFinal(timedOut, Duration.ofSeconds(60));
            assertThat(t.getPhase()).as("%s", system.events.of(timedOut)).isEqualTo(Phase.ABORTED);
            assertThat(t.getReason().getCode()).isEqualTo("QUEUE_TIMEOUT");
            assertThat(system.events.phases(timedOut)).containsSubsequence(Phase.QUEUED, Phase.ABORTED);

            system.cancel(running, "maintenance called off");
            MigrationEvent r = system.events.awaitFinal(running, Duration.ofMinutes(2));
            assertThat(r.getPhase()).as("%s", system.events.of(running)).isEqualTo(Phase.ABORTED);
            assertThat(system.events.phases(running)).containsSubsequence(Phase.RUNNING, Phase.ABORTING, Phase.ABORTED);
            for (String id : List.of(running, cancelled, timedOut)) {
                system.events.assertCompleteAndOrdered(id);
            }
            for (TestGuest g : List.of(slow, waiting, late)) {
                g.assertRunningIntact(system.agents.hostA);
            }
        } finally {
            for (TestGuest g : List.of(slow, waiting, late)) {
                g.remove(system.agents.hostA);
                g.remove(system.agents.hostB);
            }
        }
    }

    @Test
    void aHandOffWhoseDestinationNeverAnswersIsAbortedAtTheStepDeadline() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 6);
        String silent = "silent-" + run;
        TestGuest guest = new TestGuest("cells-silent-" + run, 64, "idle");
        Endpoints endpoints = Endpoints.fromEnvironment();
        try (org.apache.kafka.clients.admin.Admin admin = io.vmflow.runtime.RealStack.admin()) {
            // a host whose agent never runs: its topics made as its agent would
            admin.createTopics(TopicCatalogue.PER_HOST.stream()
                            .map(t -> TopicCatalogue.forHost(t, silent))
                            .map(t -> new org.apache.kafka.clients.admin.NewTopic(
                                            t.name(), java.util.Optional.of(t.partitions()), java.util.Optional.empty())
                                    .configs(t.config()))
                            .toList())
                    .all()
                    .get();
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("it-cells"))) {
            // a host that says it is up and has room, whose agent hangs: its commands are never answered
            HostState state = HostState.newBuilder()
                    .setHostId(silent)
                    .setReportedAt(Instant.now())
                    .setLiveness(Liveness.UP)
                    .setAgentVersion("none")
                    .setLibvirtUri("qemu+tcp://192.0.2.1/system")
                    .setMigrationAddresses(List.of("192.0.2.1"))
                    .setCpuArch("x86_64")
                    .setCpus(2)
                    .setMemoryTotalBytes(8L << 30)
                    .setMemoryFreeBytes(8L << 30)
                    .build();
            producer.send(new ProducerRecord<>(
                            TopicCatalogue.hostState(silent).name(),
                            silent,
                            system.wire.encode(TopicCatalogue.hostState(silent).valueSubject(), state)))
                    .get();
            guest.start(system.agents.hostA, false);
            system.awaitGuest("hostA", guest.name());
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> system.coordinator.inventory().host(silent).isPresent());

            String id = system.request(MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setDestinationHost(silent)
                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                    .build());
            MigrationEvent last = system.events.awaitFinal(id, Duration.ofMinutes(2));

            assertThat(last.getPhase()).as("%s", system.events.of(id)).isEqualTo(Phase.ABORTED);
            assertThat(last.getReason().getCode()).isEqualTo("STEP_TIMEOUT");
            assertThat(last.getReason().getMessage()).contains(silent);
            assertThat(system.events.phases(id)).containsSubsequence(Phase.SCHEDULED, Phase.ABORTING, Phase.ABORTED);
            system.events.assertCompleteAndOrdered(id);
            guest.assertRunningIntact(system.agents.hostA);
        } finally {
            guest.remove(system.agents.hostA);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("it-cells"))) {
                producer.send(new ProducerRecord<>(
                                TopicCatalogue.hostState(silent).name(), silent, null))
                        .get();
            }
        }
    }

    private static MigrationSpec spec(TestGuest g, ControlFlow flow) {
        return MigrationSpec.newBuilder()
                .setGuest(g.name())
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(flow)
                .build();
    }
}
