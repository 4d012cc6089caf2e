package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.ABORTING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FINISHING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.PREPARING_TARGET;
import static io.vmflow.coordinator.statemachine.MigrationPhase.RUNNING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SUCCEEDED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.TARGET_READY;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ReportKind;

/**
 * Managed peer-to-peer: the source agent drives the destination itself (as libvirtd does), and the
 * coordinator follows what the agents report; the hand-off's end decides the outcome.
 *
 * <pre>
 * SCHEDULED --HANDOFF_PEER_TO_PEER src--> (dst: PREPARE accepted) PREPARING_TARGET, (succeeded) TARGET_READY,
 * (src progress) RUNNING, (dst: FINISH accepted) FINISHING, (hand-off succeeded) SUCCEEDED
 * </pre>
 */
final class PeerToPeer {

    private PeerToPeer() {}

    static Step start(Step s, Input.Admitted a) {
        Migration m = s.migration();
        s.update(m.performing(true, a.now()));
        return s.send(
                m.sourceHost(), CommandType.HANDOFF_PEER_TO_PEER, m.destinationHost(), null, m.migrationUri(), null);
    }

    static Step on(Step s, Input.Report r) {
        if (r.commandType() == CommandType.ABORT) {
            return Aborts.abortReport(s, r);
        }
        if (r.commandType() == CommandType.HANDOFF_PEER_TO_PEER) {
            return handoff(s, r);
        }
        // the destination's steps, which the source's hand-off drives: each moves the migration forward
        boolean prepareAccepted = r.commandType() == CommandType.PREPARE && r.kind() == ReportKind.COMMAND_ACCEPTED;
        boolean prepared = r.commandType() == CommandType.PREPARE && r.kind() == ReportKind.COMMAND_SUCCEEDED;
        boolean finishAccepted = r.commandType() == CommandType.FINISH && r.kind() == ReportKind.COMMAND_ACCEPTED;
        return switch (s.migration().phase()) {
            case SCHEDULED ->
                prepareAccepted
                        ? s.moveByAgent(PREPARING_TARGET, null, null, r)
                        : prepared ? targetReady(s, r) : finishAccepted ? finishing(s, r) : s;
            case PREPARING_TARGET -> prepared ? targetReady(s, r) : finishAccepted ? finishing(s, r) : s;
            case TARGET_READY, RUNNING -> finishAccepted ? finishing(s, r) : s;
            default -> s; // a failed PREPARE or FINISH ends the hand-off, which reports it
        };
    }

    private static Step targetReady(Step s, Input.Report r) {
        return Progress.inferUpTo(s, TARGET_READY, r).moveByAgent(TARGET_READY, null, null, r);
    }

    private static Step finishing(Step s, Input.Report r) {
        return Progress.inferUpTo(s, FINISHING, r).moveByAgent(FINISHING, null, null, r);
    }

    /** The source's hand-off: progress while it runs, then its end, which decides the outcome. */
    private static Step handoff(Step s, Input.Report r) {
        Migration m = s.migration();
        if (r.kind() == ReportKind.PROGRESS) {
            return m.phase() == ABORTING ? s : Progress.sample(s, r);
        }
        boolean ok = r.kind() == ReportKind.COMMAND_SUCCEEDED;
        if (!ok && r.kind() != ReportKind.COMMAND_FAILED && r.kind() != ReportKind.COMMAND_REFUSED) {
            return s;
        }
        s.update(m.performing(false, r.at()));
        if (m.phase() == ABORTING) {
            return Aborts.performEnded(s, r);
        }
        if (!ok) {
            return Aborts.performFailed(s, r);
        }
        if (m.phase() != FINISHING && m.phase() != RUNNING) {
            Progress.inferUpTo(s, SUCCEEDED, r);
        }
        return s.moveByAgent(SUCCEEDED, null, r.figures(), r);
    }
}
