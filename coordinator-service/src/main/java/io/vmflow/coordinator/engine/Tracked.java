package io.vmflow.coordinator.engine;

import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.avro.Phase;
import io.vmflow.avro.Reason;
import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import java.time.Instant;

/**
 * A migration with what the coordinator keeps beside the state machine's view (for the API, admission
 * and the phase deadlines).
 *
 * @param phaseSince when the migration entered its current phase, by the coordinator's clock
 */
record Tracked(
        Migration m, Instant createdAt, int priority, Reason lastReason, JobFigures lastFigures, Instant phaseSince) {

    Tracked with(Migration next) {
        return new Tracked(
                next,
                createdAt,
                priority,
                lastReason,
                lastFigures,
                m == null || next.phase() != m.phase() ? Instant.now() : phaseSince);
    }

    Tracked with(Reason reason, JobFigures figures) {
        return new Tracked(
                m,
                createdAt,
                priority,
                reason != null ? reason : lastReason,
                figures != null ? figures : lastFigures,
                phaseSince);
    }

    MigrationSnapshot snapshot(String coordinatorId) {
        return MigrationSnapshot.newBuilder()
                .setMigrationId(m.id())
                .setRequestId(m.requestId())
                .setPrincipal(m.principal())
                .setSpec(m.spec())
                .setPhase(Phase.valueOf(m.phase().name()))
                .setSequence(m.sequence())
                .setGuestMemoryBytes(m.guestMemoryBytes())
                .setDomainXml(m.domainXml())
                .setMigrationUri(m.migrationUri())
                .setPerforming(m.performing())
                .setRunningSinceMs(
                        m.runningSince() == null ? null : m.runningSince().toEpochMilli())
                .setLastProgressAtMs(
                        m.lastProgressAt() == null ? null : m.lastProgressAt().toEpochMilli())
                .setLastRemainingBytes(m.lastRemaining())
                .setTuned(m.tuned())
                .setAbortReason(m.abortReason())
                .setLastReason(lastReason)
                .setLastFigures(lastFigures)
                .setCreatedAt(createdAt)
                .setUpdatedAt(Instant.now())
                .setCoordinatorId(coordinatorId)
                .setPriority(priority)
                .setPhaseSinceMs(phaseSince == null ? null : phaseSince.toEpochMilli())
                .build();
    }

    static Tracked of(MigrationSnapshot s) {
        Migration m = Migration.of(
                s.getMigrationId(),
                s.getRequestId(),
                s.getPrincipal(),
                s.getSpec(),
                MigrationPhase.valueOf(s.getPhase().name()),
                s.getSequence(),
                s.getGuestMemoryBytes(),
                s.getDomainXml(),
                s.getMigrationUri(),
                s.getPerforming(),
                s.getRunningSinceMs() == null ? null : Instant.ofEpochMilli(s.getRunningSinceMs()),
                s.getLastProgressAtMs() == null ? null : Instant.ofEpochMilli(s.getLastProgressAtMs()),
                s.getLastRemainingBytes(),
                s.getTuned(),
                s.getAbortReason());
        // a snapshot from before phaseSinceMs existed: the phase's deadline counts from its last update
        Instant since = s.getPhaseSinceMs() != null ? Instant.ofEpochMilli(s.getPhaseSinceMs()) : s.getUpdatedAt();
        return new Tracked(m, s.getCreatedAt(), s.getPriority(), s.getLastReason(), s.getLastFigures(), since);
    }
}
