package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The migrations that matter most in real fleets and that QEMU 7.2 under TCG got wrong: slow ones
 * that need several pre-copy passes. Each must arrive with every page (the guest's own verdict: no
 * corrupt word), and its final event must say it took more than one pass.
 */
class SlowMigrationsIT {

    static CoordinatorFixture system;

    @BeforeAll
    static void start() throws Exception {
        system = CoordinatorFixture.start("it-slow", Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        system.close();
    }

    @Test
    void aMultiPassMigrationOverASlowLinkArrivesIntact() throws Exception {
        TestGuest guest =
                new TestGuest("slow-link-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=8");
        try (AutoCloseable slow = system.agents.hostA.slowMigrationLink(256)) {
            MigrationEvent last = migrate(guest, MigrationSpec.newBuilder());
            assertSeveralPassesAndIntact(guest, last);
        } finally {
            guest.remove(system.agents.hostA);
            guest.remove(system.agents.hostB);
        }
    }

    @Test
    void aBandwidthCappedMigrationCompletesIntact() throws Exception {
        TestGuest guest = new TestGuest("capped-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=4");
        try {
            MigrationEvent last = migrate(guest, MigrationSpec.newBuilder().setBandwidthMiBps(32L));
            assertSeveralPassesAndIntact(guest, last);
        } finally {
            guest.remove(system.agents.hostA);
            guest.remove(system.agents.hostB);
        }
    }

    private static MigrationEvent migrate(TestGuest guest, MigrationSpec.Builder spec) throws Exception {
        guest.start(system.agents.hostA, false);
        system.awaitGuest("hostA", guest.name());
        String id = system.request(spec.setGuest(guest.name())
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .build());
        MigrationEvent last = system.events.awaitFinal(id, Duration.ofMinutes(4));
        assertThat(last.getPhase()).as("%s", system.events.of(id)).isEqualTo(Phase.SUCCEEDED);
        system.events.assertCompleteAndOrdered(id);
        return last;
    }

    private static void assertSeveralPassesAndIntact(TestGuest guest, MigrationEvent last) throws Exception {
        assertThat(last.getFigures()).as("the final event's job figures").isNotNull();
        assertThat(last.getFigures().getIteration())
                .as("pre-copy passes: %s", last.getFigures())
                .isGreaterThan(1L);
        guest.assertRunningIntact(system.agents.hostB);
    }
}
