package io.vmflow.coordinator.statemachine;

import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import java.time.Instant;

/**
 * What the coordinator knows of one migration: immutable; each step of the state machine returns a
 * new one.
 *
 * @param id               migration id (the key of every record about it)
 * @param requestId        the request it came from
 * @param principal        who asked
 * @param spec             the request as planned (destination and URIs filled in)
 * @param phase            where it is
 * @param sequence         sequence number of the last event written (0: none yet)
 * @param guestMemoryBytes the guest's memory (scales the completion timeout), 0 when unknown
 * @param domainXml        BEGIN's answer, handed to PREPARE (managed direct)
 * @param migrationUri     the hypervisor URI the source uses (explicit, or the destination's answer)
 * @param performing       whether a command that moves memory is running on the source
 * @param runningSince     when memory copying started (for the completion timeout)
 * @param lastProgressAt   when the remaining data last went down (for stall detection)
 * @param lastRemaining    the remaining data at that moment
 * @param tuned            whether the timeout policy already tuned the migration once
 * @param abortReason      why an abort was asked, while ABORTING
 */
public record Migration(
        String id,
        String requestId,
        String principal,
        MigrationSpec spec,
        MigrationPhase phase,
        long sequence,
        long guestMemoryBytes,
        String domainXml,
        String migrationUri,
        boolean performing,
        Instant runningSince,
        Instant lastProgressAt,
        Long lastRemaining,
        boolean tuned,
        Reason abortReason) {

    /** A migration as its snapshot recorded it. */
    public static Migration of(
            String id,
            String requestId,
            String principal,
            MigrationSpec spec,
            MigrationPhase phase,
            long sequence,
            long guestMemoryBytes,
            String domainXml,
            String migrationUri,
            boolean performing,
            Instant runningSince,
            Instant lastProgressAt,
            Long lastRemaining,
            boolean tuned,
            Reason abortReason) {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                phase,
                sequence,
                guestMemoryBytes,
                domainXml,
                migrationUri,
                performing,
                runningSince,
                lastProgressAt,
                lastRemaining,
                tuned,
                abortReason);
    }

    /** A migration just read from intake. */
    public static Migration requested(String id, String requestId, String principal, MigrationSpec spec) {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                MigrationPhase.REQUESTED,
                0,
                0,
                null,
                spec.getMigrationUri(),
                false,
                null,
                null,
                null,
                false,
                null);
    }

    Migration withPhase(MigrationPhase p, long seq) {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                p,
                seq,
                guestMemoryBytes,
                domainXml,
                migrationUri,
                performing,
                runningSince,
                lastProgressAt,
                lastRemaining,
                tuned,
                abortReason);
    }

    Migration withPlan(MigrationSpec planned, String uri, long memory) {
        return new Migration(
                id,
                requestId,
                principal,
                planned,
                phase,
                sequence,
                memory,
                domainXml,
                uri,
                performing,
                runningSince,
                lastProgressAt,
                lastRemaining,
                tuned,
                abortReason);
    }

    Migration withDomainXml(String xml) {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                phase,
                sequence,
                guestMemoryBytes,
                xml,
                migrationUri,
                performing,
                runningSince,
                lastProgressAt,
                lastRemaining,
                tuned,
                abortReason);
    }

    Migration withMigrationUri(String uri) {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                phase,
                sequence,
                guestMemoryBytes,
                domainXml,
                uri,
                performing,
                runningSince,
                lastProgressAt,
                lastRemaining,
                tuned,
                abortReason);
    }

    Migration performing(boolean on, Instant now) {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                phase,
                sequence,
                guestMemoryBytes,
                domainXml,
                migrationUri,
                on,
                on && runningSince == null ? now : runningSince,
                on && lastProgressAt == null ? now : lastProgressAt,
                lastRemaining,
                tuned,
                abortReason);
    }

    Migration progressed(Instant at, Long remaining) {
        boolean down = remaining != null && (lastRemaining == null || remaining < lastRemaining);
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                phase,
                sequence,
                guestMemoryBytes,
                domainXml,
                migrationUri,
                performing,
                runningSince == null ? at : runningSince,
                down ? at : lastProgressAt,
                down ? remaining : lastRemaining,
                tuned,
                abortReason);
    }

    Migration withTuned() {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                phase,
                sequence,
                guestMemoryBytes,
                domainXml,
                migrationUri,
                performing,
                runningSince,
                lastProgressAt,
                lastRemaining,
                true,
                abortReason);
    }

    Migration aborting(Reason why) {
        return new Migration(
                id,
                requestId,
                principal,
                spec,
                phase,
                sequence,
                guestMemoryBytes,
                domainXml,
                migrationUri,
                performing,
                runningSince,
                lastProgressAt,
                lastRemaining,
                tuned,
                why);
    }

    public String sourceHost() {
        return spec.getSourceHost();
    }

    public String destinationHost() {
        return spec.getDestinationHost();
    }
}
