package io.vmflow.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.Actor;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.Phase;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AuditCheckTest {

    static MigrationEvent e(String id, long seq, Phase prev, Phase phase) {
        return MigrationEvent.newBuilder()
                .setEventId(id + "#" + seq)
                .setMigrationId(id)
                .setSequence(seq)
                .setPreviousPhase(prev)
                .setPhase(phase)
                .setOccurredAt(Instant.EPOCH)
                .setActor(Actor.COORDINATOR)
                .setActorId("c")
                .setPrincipal("p")
                .build();
    }

    @Test
    void aCompleteLogHasNoProblemsAndCountsOpenAndEndedMigrations() {
        AuditCheck c = new AuditCheck();
        c.accept(e("a", 1, null, Phase.REQUESTED));
        c.accept(e("b", 1, null, Phase.REQUESTED));
        c.accept(e("a", 2, Phase.REQUESTED, Phase.REJECTED));
        c.accept(e("b", 2, Phase.REQUESTED, Phase.ACCEPTED));
        assertThat(c.problems()).isEmpty();
        assertThat(c.migrations()).isEqualTo(2);
        assertThat(c.open()).isEqualTo(1);
        assertThat(c.byFinalPhase()).containsEntry(Phase.REJECTED, 1L);
    }

    @Test
    void gapsRepeatsDisorderAndEventsAfterTheEndAreReported() {
        AuditCheck c = new AuditCheck();
        c.accept(e("a", 1, null, Phase.REQUESTED));
        c.accept(e("a", 3, Phase.ACCEPTED, Phase.SCHEDULED));
        c.accept(e("a", 3, Phase.ACCEPTED, Phase.SCHEDULED));
        c.accept(e("b", 1, null, Phase.REQUESTED));
        c.accept(e("b", 2, Phase.ACCEPTED, Phase.REJECTED));
        c.accept(e("b", 3, Phase.REJECTED, Phase.ACCEPTED));
        assertThat(c.problems())
                .anySatisfy(p -> assertThat(p).contains("a: sequence 3 where 2 was due"))
                .anySatisfy(p -> assertThat(p).contains("appears twice"))
                .anySatisfy(p -> assertThat(p).contains("b #2: previous phase ACCEPTED but the log says REQUESTED"))
                .anySatisfy(p -> assertThat(p).contains("after the final phase REJECTED"));
    }
}
