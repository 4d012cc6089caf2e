package io.vmflow.coordinator.engine;

import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import java.time.Instant;

/** A read-only view of one migration, for the API. */
public record MigrationView(
        String id,
        MigrationPhase phase,
        long sequence,
        String principal,
        MigrationSpec spec,
        Instant createdAt,
        int priority,
        Reason lastReason,
        JobFigures lastFigures,
        Instant phaseSince) {

    static MigrationView of(Tracked t) {
        return new MigrationView(
                t.m().id(),
                t.m().phase(),
                t.m().sequence(),
                t.m().principal(),
                t.m().spec(),
                t.createdAt(),
                t.priority(),
                t.lastReason(),
                t.lastFigures(),
                t.phaseSince());
    }
}
