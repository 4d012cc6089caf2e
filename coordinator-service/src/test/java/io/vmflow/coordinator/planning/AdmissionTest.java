package io.vmflow.coordinator.planning;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.coordinator.statemachine.Input;
import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationMachine;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The limits: out of a host, into a host, in the cluster; each migration in flight counted once. */
class AdmissionTest {

    final MigrationMachine machine = MigrationMachine.withDefaults();

    Migration planned(String id, String source, String destination) {
        MigrationSpec spec = MigrationSpec.newBuilder()
                .setGuest(id + "-guest")
                .setSourceHost(source)
                .setDestinationHost(destination)
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .build();
        Migration m = Migration.requested(id, id, "alice", spec);
        return machine.on(m, new Input.Planned(spec, null, 1L << 30)).migration();
    }

    Migration flying(String id, String source, String destination) {
        Migration m = machine.on(planned(id, source, destination), new Input.Admitted(Instant.now()))
                .migration();
        assertThat(m.phase().isInFlight()).isTrue();
        return m;
    }

    @Test
    void eachLimitBlocksWithItsReasonAndWaitingMigrationsDoNotCount() {
        Admission admission = new Admission(2, 1, 3);
        Admission.InFlight load = new Admission.InFlight(
                List.of(flying("a", "h1", "h2"), flying("b", "h1", "h3"), planned("w", "h1", "h4")));

        assertThat(admission.blocker(planned("c", "h1", "h5"), load))
                .hasValueSatisfying(r -> assertThat(r).contains("2 migrations leave h1 (limit 2)"));
        assertThat(admission.blocker(planned("d", "h4", "h2"), load))
                .hasValueSatisfying(r -> assertThat(r).contains("1 migrations enter h2 (limit 1)"));
        assertThat(admission.blocker(planned("e", "h4", "h5"), load)).isEmpty();

        load.add(flying("e", "h4", "h5"));
        load.add(flying("e", "h4", "h5")); // the same migration again counts once
        assertThat(admission.blocker(planned("f", "h6", "h7"), load))
                .hasValueSatisfying(r -> assertThat(r).contains("3 migrations run in the cluster (limit 3)"));
    }
}
