package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.FINISHING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.PREPARING_TARGET;
import static io.vmflow.coordinator.statemachine.MigrationPhase.RUNNING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.TARGET_READY;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.Reason;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.List;

/**
 * Progress samples of a running migration job, and the phases a later report implies: the audit log
 * shows every phase, marked INFERRED when it was not reported in time but a later report proves it.
 */
final class Progress {

    private Progress() {}

    static Step sample(Step s, Input.Report r) {
        Migration m = s.migration();
        JobFigures f = r.figures();
        s.update(m.progressed(r.at(), f == null ? null : f.getDataRemainingBytes()));
        return switch (m.phase()) {
            case RUNNING -> s.moveByAgent(RUNNING, null, f, r);
            case SCHEDULED, PREPARING_TARGET, TARGET_READY ->
                inferUpTo(s, RUNNING, r).moveByAgent(RUNNING, null, f, r);
            default -> s; // a late sample (FINISHING, ABORTING...): nothing to say
        };
    }

    /** Moves through the phases that must have happened before {@code target} but were not reported. */
    static Step inferUpTo(Step s, MigrationPhase target, Input.Report r) {
        List<MigrationPhase> path = s.migration().spec().getControlFlow() == ControlFlow.MANAGED_PEER_TO_PEER
                        && s.migration().destinationHost() != null
                ? List.of(PREPARING_TARGET, TARGET_READY, RUNNING, FINISHING)
                : List.of(RUNNING, FINISHING);
        Reason inferred = ReasonCode.INFERRED.reason(
                "not reported in time; implied by " + r.hostId() + "'s " + r.commandType() + " " + r.kind());
        for (MigrationPhase p : path) {
            if (p.ordinal() >= target.ordinal()) {
                break;
            }
            if (s.migration().phase().ordinal() < p.ordinal()
                    && s.migration().phase().canMoveTo(p)) {
                s.moveByAgent(p, inferred, null, r);
            }
        }
        return s;
    }
}
