package io.vmflow.coordinator.statemachine;

import java.util.EnumSet;
import java.util.Set;

/**
 * The phases of one migration (after libvirt's Begin/Prepare/Perform/Finish/Confirm and KubeVirt's
 * migration phases). Each constant says when it is entered and where it may go next; a transition
 * not listed is refused. The names are the contract's {@code io.vmflow.avro.Phase} symbols (the
 * contract also keeps SWITCHING_OVER, a phase no vmflow release ever entered: libvirt does not report
 * the switch-over apart from the job's end, so RUNNING covers it).
 */
public enum MigrationPhase {
    /** The request was read from intake. Next: ACCEPTED or REJECTED. */
    REQUESTED,
    /** Validation failed (a reason says which rule). Final. */
    REJECTED,
    /** Valid and planned (destination and URIs known). Next: QUEUED, SCHEDULED, or cancel/failure. */
    ACCEPTED,
    /** Waiting for an admission slot (per-host or cluster-wide limit). Next: SCHEDULED, ABORTED (cancelled). */
    QUEUED,
    /** Admitted; the first command went to the source agent. Next: PREPARING_TARGET, RUNNING, FAILED, ABORTING. */
    SCHEDULED,
    /** The destination is checking capacity and conflicts and opening its side. Next: TARGET_READY, FAILED, ABORTING. */
    PREPARING_TARGET,
    /** The destination is ready. Next: RUNNING, FAILED, ABORTING. */
    TARGET_READY,
    /** Memory is being copied (progress events carry libvirt's job figures). Next: FINISHING, CONFIRMING, SUCCEEDED, FAILED, ABORTING, GUEST_LEFT_PAUSED. */
    RUNNING,
    /** The destination confirms the guest runs there. Next: CONFIRMING, SUCCEEDED, FAILED. */
    FINISHING,
    /** The source cleans up. Next: SUCCEEDED, FAILED. */
    CONFIRMING,
    /** The guest runs on the destination. Final. */
    SUCCEEDED,
    /** The migration did not happen; the guest runs on the source (the reason says so). Final. */
    FAILED,
    /**
     * An abort was asked of the source (cancel, timeout, lost lease). Next: ABORTED, FAILED,
     * GUEST_LEFT_PAUSED, SUCCEEDED or CONFIRMING (too late to abort: the guest arrived).
     */
    ABORTING,
    /** Aborted; the guest runs on the source. Final. */
    ABORTED,
    /** Could neither complete nor roll back safely: the guest is paused; the event names the hosts. Final. */
    GUEST_LEFT_PAUSED;

    private static final Set<MigrationPhase> FINAL =
            EnumSet.of(REJECTED, SUCCEEDED, FAILED, ABORTED, GUEST_LEFT_PAUSED);

    public boolean isFinal() {
        return FINAL.contains(this);
    }

    /** Whether a migration in this phase may move to {@code next}. */
    public boolean canMoveTo(MigrationPhase next) {
        if (isFinal()) {
            return false;
        }
        return switch (this) {
            case REQUESTED -> next == ACCEPTED || next == REJECTED;
            case ACCEPTED -> next == QUEUED || next == SCHEDULED || next == FAILED || next == ABORTED;
            case QUEUED -> next == SCHEDULED || next == ABORTED || next == FAILED;
            case SCHEDULED -> next == PREPARING_TARGET || next == RUNNING || next == FAILED || next == ABORTING;
            case PREPARING_TARGET -> next == TARGET_READY || next == FAILED || next == ABORTING;
            case TARGET_READY -> next == RUNNING || next == FAILED || next == ABORTING;
            case RUNNING ->
                next == RUNNING
                        || next == FINISHING
                        || next == CONFIRMING
                        || next == SUCCEEDED
                        || next == FAILED
                        || next == ABORTING
                        || next == GUEST_LEFT_PAUSED;
            case FINISHING -> next == CONFIRMING || next == SUCCEEDED || next == FAILED;
            case CONFIRMING -> next == SUCCEEDED || next == FAILED;
            case ABORTING ->
                next == ABORTED
                        || next == FAILED
                        || next == GUEST_LEFT_PAUSED
                        || next == SUCCEEDED
                        || next == CONFIRMING;
            default -> false;
        };
    }

    /** Whether the guest may be moving (a cancel must abort a job rather than just stop planning). */
    public boolean isInFlight() {
        return this == SCHEDULED
                || this == PREPARING_TARGET
                || this == TARGET_READY
                || this == RUNNING
                || this == FINISHING
                || this == CONFIRMING
                || this == ABORTING;
    }
}
