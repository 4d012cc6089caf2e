package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.testsupport.hosts.TestGuest;
import io.vmflow.testsupport.hosts.TestHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Migrations that wait for each other's hosts at the same time, with the agents' default settings:
 * peer-to-peer hand-offs each way between two hosts fill both agents' migration workers while each
 * waits for the other host's PREPARE. None may wait for a worker the other holds.
 */
class ConcurrentMigrationsIT {

    static CoordinatorFixture system;

    @BeforeAll
    static void start() throws Exception {
        system = CoordinatorFixture.start("it-concurrent", Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        system.close();
    }

    @Test
    void twoPeerToPeerMigrationsEachWayAtOnceAllSucceedIntact() throws Exception {
        TestHost a = system.agents.hostA;
        TestHost b = system.agents.hostB;
        String run = UUID.randomUUID().toString().substring(0, 6);
        Map<TestGuest, TestHost[]> moves = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            TestHost from = i % 2 == 0 ? a : b;
            moves.put(
                    new TestGuest("both-ways-" + i + "-" + run, 128, "ws=8 paced"),
                    new TestHost[] {from, from == a ? b : a});
        }
        try {
            for (Map.Entry<TestGuest, TestHost[]> m : moves.entrySet()) {
                m.getKey().start(m.getValue()[0], false);
            }
            for (Map.Entry<TestGuest, TestHost[]> m : moves.entrySet()) {
                system.awaitGuest(m.getValue()[0].id(), m.getKey().name());
            }
            Map<String, TestGuest> ids = new LinkedHashMap<>();
            for (Map.Entry<TestGuest, TestHost[]> m : moves.entrySet()) {
                ids.put(
                        system.request(MigrationSpec.newBuilder()
                                .setGuest(m.getKey().name())
                                .setSourceHost(m.getValue()[0].id())
                                .setDestinationHost(m.getValue()[1].id())
                                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                                .build()),
                        m.getKey());
            }
            List<String> outcomes = new ArrayList<>();
            for (Map.Entry<String, TestGuest> e : ids.entrySet()) {
                MigrationEvent last = system.events.awaitFinal(e.getKey(), Duration.ofMinutes(5));
                outcomes.add(e.getKey() + " " + last.getPhase()
                        + (last.getReason() == null
                                ? ""
                                : " " + last.getReason().getCode() + ": "
                                        + last.getReason().getMessage()));
            }
            assertThat(outcomes).allSatisfy(o -> assertThat(o).contains(" SUCCEEDED"));
            for (Map.Entry<String, TestGuest> e : ids.entrySet()) {
                system.events.assertCompleteAndOrdered(e.getKey());
                assertThat(system.events.phases(e.getKey())).endsWith(Phase.SUCCEEDED);
                e.getValue().assertRunningIntact(moves.get(e.getValue())[1]);
            }
        } finally {
            for (Map.Entry<TestGuest, TestHost[]> m : moves.entrySet()) {
                m.getKey().remove(a);
                m.getKey().remove(b);
            }
        }
    }
}
