package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.ABORTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.ABORTING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FAILED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.GUEST_LEFT_PAUSED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SUCCEEDED;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;

/**
 * The rules every flow shares for stopping a migration: a cancel, a missed deadline or a lost lease
 * asks the source to abort; the source's answer, or the migration's own end, decides where the guest
 * is. Before anything started, nothing needs aborting; once the guest can only have arrived, it is too
 * late and the cancel is refused.
 */
final class Aborts {

    private Aborts() {}

    static Step cancel(Step s, Input.Cancel c) {
        return abort(
                s,
                ReasonCode.CANCELLED.reason("cancelled by " + c.principal() + (c.why() == null ? "" : ": " + c.why())));
    }

    static Step abort(Step s, Reason why) {
        Migration m = s.migration();
        return switch (m.phase()) {
            case ABORTING -> s.refuse(m.id() + " is already aborting");
            case REQUESTED, ACCEPTED, QUEUED ->
                s.move(
                        ABORTED,
                        new Reason(
                                why.getCode(), why.getMessage() + "; nothing had started, the guest was not touched"));
            case FINISHING, CONFIRMING ->
                s.refuse("too late to cancel " + m.id() + ": the guest already runs on " + m.destinationHost() + " ("
                        + m.phase() + ")");
            default -> {
                s.update(m.aborting(why));
                s.move(ABORTING, why);
                yield s.send(m.sourceHost(), CommandType.ABORT, m.destinationHost(), null, null, why);
            }
        };
    }

    /** A managed-direct report while ABORTING: the PERFORM's end, or a step that ended before the guest moved. */
    static Step whileAborting(Step s, Input.Report r) {
        if (r.commandType() == CommandType.ABORT) {
            return abortReport(s, r);
        }
        if (r.commandType() == CommandType.PERFORM) {
            s.update(s.migration().performing(false, r.at()));
            return performEnded(s, r);
        }
        if (!s.migration().performing()) {
            // a BEGIN/PREPARE ending while aborting: nothing runs, the guest never left
            return s.moveByAgent(ABORTED, s.migration().abortReason(), null, r);
        }
        return s;
    }

    /** The end of the source's migration job while an abort was asked: it decides where the guest is. */
    static Step performEnded(Step s, Input.Report r) {
        return r.kind() == ReportKind.COMMAND_SUCCEEDED
                ? s.moveByAgent(
                        SUCCEEDED, tooLate(s.migration()), r.figures(), r) // it completed before the abort landed
                : s.moveByAgent(ABORTED, s.migration().abortReason(), r.figures(), r);
    }

    /** The source's answer to ABORT. */
    static Step abortReport(Step s, Input.Report r) {
        if (r.kind() == ReportKind.COMMAND_ACCEPTED || s.migration().phase() != ABORTING) {
            return s;
        }
        if (r.kind() != ReportKind.COMMAND_SUCCEEDED) {
            if (r.reason() != null
                    && ReasonCode.GUEST_NOT_FOUND.name().equals(r.reason().getCode())) {
                return s; // the guest left the source: the migration's own result decides
            }
            return s.moveByAgent(
                    GUEST_LEFT_PAUSED,
                    ReasonCode.ABORT_FAILED.reason("abort failed on " + r.hostId() + ": "
                            + (r.reason() == null ? "no reason" : r.reason().getMessage())),
                    null,
                    r);
        }
        if (!s.migration().performing()) {
            return s.moveByAgent(ABORTED, s.migration().abortReason(), null, r);
        }
        return s; // the migration's own failure (MIGRATION_ABORTED) follows and ends it
    }

    /** A migration job that failed on the source, read by the reason the source gave. */
    static Step performFailed(Step s, Input.Report r) {
        String code = r.reason() == null ? "" : r.reason().getCode();
        if (code.equals(ReasonCode.GUEST_LEFT_PAUSED.name())) {
            return s.moveByAgent(GUEST_LEFT_PAUSED, r.reason(), r.figures(), r);
        }
        if (code.equals(ReasonCode.LEASE_LAPSED.name())) {
            // the source gave up because this coordinator was gone too long: the guest runs on the source
            return s.moveByAgent(ABORTING, r.reason(), null, r).moveByAgent(ABORTED, r.reason(), null, r);
        }
        return s.moveByAgent(FAILED, r.reason(), r.figures(), r);
    }

    static Reason tooLate(Migration m) {
        return ReasonCode.ABORT_TOO_LATE.reason("the guest arrived before the abort took effect"
                + (m.abortReason() == null
                        ? ""
                        : " (asked because: " + m.abortReason().getMessage() + ")"));
    }
}
