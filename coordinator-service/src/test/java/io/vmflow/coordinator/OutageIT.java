package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The schema registry or the broker away for a minute while migrations run: the migrations end as
 * they would have without the outage, the audit log is complete, and nothing is dead-lettered or
 * rejected for it. Each migration goes over a link slowed to 100 Mbit/s (tc) so that it is still
 * copying when the outage begins, and still running when the lease of its coordinator runs out.
 */
class OutageIT {

    static final Duration OUTAGE = Duration.ofSeconds(60);
    static CoordinatorFixture system;
    final List<TestGuest> guests = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        system = CoordinatorFixture.start("it-outage", Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        RealStack.startAgain(); // whatever a failed test left stopped
        system.close();
    }

    @AfterEach
    void removeGuests() {
        RealStack.startAgain();
        for (TestGuest g : guests) {
            g.remove(system.agents.hostA);
            g.remove(system.agents.hostB);
        }
    }

    @Test
    void aMinuteWithoutTheRegistryWhileTheCoordinatorRestartsChangesNoOutcome() throws Exception {
        long deadBefore = deadLetters();
        try (AutoCloseable slow = system.agents.hostA.slowMigrationLink(100)) {
            String running = start(ControlFlow.MANAGED_PEER_TO_PEER);
            TestGuest later = guest();
            Instant down = Instant.now();
            RealStack.stop("registry");
            // a coordinator that starts now has no schema cached: it must wait for the registry, not give up
            CompletableFuture<Void> restarted = CompletableFuture.runAsync(() -> {
                try {
                    system.restartCoordinator();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String requestedDuringOutage = system.request(spec(later, ControlFlow.MANAGED_PEER_TO_PEER));
            sleepUntil(down.plus(OUTAGE));
            RealStack.startAgain();
            restarted.get();

            for (String id : List.of(running, requestedDuringOutage)) {
                MigrationEvent last = system.events.awaitFinal(id, Duration.ofMinutes(5));
                assertThat(last.getPhase()).as("%s", system.events.of(id)).isEqualTo(Phase.SUCCEEDED);
                system.events.assertCompleteAndOrdered(id);
            }
            guests.get(0).assertRunningIntact(system.agents.hostB);
            later.assertRunningIntact(system.agents.hostB);
        }
        assertThat(deadLetters()).as("records dead-lettered during the outage").isEqualTo(deadBefore);
    }

    @Test
    void aMinuteWithoutTheBrokerChangesNoOutcome() throws Exception {
        long deadBefore = deadLetters();
        try (AutoCloseable slow = system.agents.hostA.slowMigrationLink(100)) {
            String peerToPeer = start(ControlFlow.MANAGED_PEER_TO_PEER);
            String direct = start(ControlFlow.MANAGED_DIRECT);
            Instant down = Instant.now();
            RealStack.stop("kafka");
            sleepUntil(down.plus(OUTAGE));
            RealStack.startAgain();

            for (String id : List.of(peerToPeer, direct)) {
                MigrationEvent last = system.events.awaitFinal(id, Duration.ofMinutes(5));
                assertThat(last.getPhase()).as("%s", system.events.of(id)).isEqualTo(Phase.SUCCEEDED);
                system.events.assertCompleteAndOrdered(id);
            }
            for (TestGuest g : guests) {
                g.assertRunningIntact(system.agents.hostB);
            }
            await("the coordinator serves again")
                    .atMost(Duration.ofMinutes(2))
                    .until(() -> system.coordinator.readiness().ok());
        }
        assertThat(deadLetters()).as("records dead-lettered during the outage").isEqualTo(deadBefore);
    }

    /** Starts a migration from hostA to hostB and waits until it copies memory. */
    private String start(ControlFlow flow) throws Exception {
        TestGuest g = guest();
        String id = system.request(spec(g, flow));
        await().atMost(Duration.ofMinutes(2))
                .until(() -> system.events.phases(id).contains(Phase.RUNNING));
        return id;
    }

    private TestGuest guest() throws Exception {
        // a small working set: it converges over the slow link, in a few passes
        TestGuest g = new TestGuest("outage-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=2");
        guests.add(g);
        g.start(system.agents.hostA, false);
        system.awaitGuest("hostA", g.name());
        return g;
    }

    private static MigrationSpec spec(TestGuest g, ControlFlow flow) {
        return MigrationSpec.newBuilder()
                .setGuest(g.name())
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(flow)
                .build();
    }

    private static void sleepUntil(Instant t) throws InterruptedException {
        long ms = Duration.between(Instant.now(), t).toMillis();
        if (ms > 0) {
            Thread.sleep(ms); // the outage itself: a wall-clock minute, not a wait for a condition
        }
    }

    private static long deadLetters() {
        Endpoints e = Endpoints.fromEnvironment();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(e.consumer(null, "it-outage-dlt"))) {
            String topic = TopicCatalogue.DEAD_LETTER.name();
            return c
                    .endOffsets(c.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList())
                    .values()
                    .stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }
}
