package io.vmflow.coordinator.engine;

import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.avro.Phase;
import io.vmflow.avro.Reason;
import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import java.time.Instant;

/** A migration with what the coordinator keeps beside the state machine's view (for the API and admission). */
record Tracked(Migration m, Instant createdAt, int priority, Reason lastReason, JobFigures lastFigures) {

    Tracked with(Migration next) {
        return new Tracked(next, createdAt, priority, lastReason, lastFigures);
    }

    Tracked with(Reason reason, JobFigures figures) {
        return new Tracked(m, createdAt, priority, reason != null ? reason : lastReason,
                figures != null ? figures : lastFigures);
    }

    MigrationSnapshot snapshot(String coordinatorId) {
        return MigrationSnapshot.newBuilder()
                .setMigrationId(m.id()).setRequestId(m.requestId()).setPrincipal(m.principal()).setSpec(m.spec())
                .setPhase(Phase.valueOf(m.phase().name())).setSequence(m.sequence())
                .setGuestMemoryBytes(m.guestMemoryBytes()).setDomainXml(m.domainXml())
                .setMigrationUri(m.migrationUri()).setPerforming(m.performing())
                .setRunningSinceMs(m.runningSince() == null ? null : m.runningSince().toEpochMilli())
                .setLastProgressAtMs(m.lastProgressAt() == null ? null : m.lastProgressAt().toEpochMilli())
                .setLastRemainingBytes(m.lastRemaining()).setTuned(m.tuned()).setAbortReason(m.abortReason())
                .setLastReason(lastReason).setLastFigures(lastFigures).setCreatedAt(createdAt)
                .setUpdatedAt(Instant.now()).setCoordinatorId(coordinatorId).setPriority(priority).build();
    }

    static Tracked of(MigrationSnapshot s) {
        Migration m = Migration.of(s.getMigrationId(), s.getRequestId(), s.getPrincipal(), s.getSpec(),
                MigrationPhase.valueOf(s.getPhase().name()), s.getSequence(), s.getGuestMemoryBytes(),
                s.getDomainXml(), s.getMigrationUri(), s.getPerforming(),
                s.getRunningSinceMs() == null ? null : Instant.ofEpochMilli(s.getRunningSinceMs()),
                s.getLastProgressAtMs() == null ? null : Instant.ofEpochMilli(s.getLastProgressAtMs()),
                s.getLastRemainingBytes(), s.getTuned(), s.getAbortReason());
        return new Tracked(m, s.getCreatedAt(), s.getPriority(), s.getLastReason(), s.getLastFigures());
    }
}
