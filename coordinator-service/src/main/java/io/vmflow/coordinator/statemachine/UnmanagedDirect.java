package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.ABORTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.CONFIRMING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FAILED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.RUNNING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SUCCEEDED;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;

/**
 * Unmanaged direct: the source agent hands the migration to the hypervisor itself, then observes it;
 * the hypervisor's verdict decides, and only a completed migration lets the source clean up.
 *
 * <pre>
 * SCHEDULED --HANDOFF_UNMANAGED src--> RUNNING (handed off; the source's observations of QEMU are
 * progress) --observed completed--> CONFIRMING --CONFIRM src--> SUCCEEDED
 * </pre>
 */
final class UnmanagedDirect {

    /** The key of a lifecycle report's details that holds QEMU's migration status. */
    static final String HYPERVISOR_STATUS = "hypervisorMigrationStatus";

    private UnmanagedDirect() {}

    static Step start(Step s) {
        Migration m = s.migration();
        return s.send(m.sourceHost(), CommandType.HANDOFF_UNMANAGED, null, null, m.migrationUri(), null);
    }

    static Step on(Step s, Input.Report r) {
        if (r.commandType() == CommandType.ABORT) {
            return Aborts.abortReport(s, r);
        }
        boolean handoff = r.commandType() == CommandType.HANDOFF_UNMANAGED;
        boolean verdict = handoff && r.kind() == ReportKind.LIFECYCLE;
        if (handoff && (r.kind() == ReportKind.COMMAND_FAILED || r.kind() == ReportKind.COMMAND_REFUSED)) {
            return s.moveByAgent(FAILED, r.reason(), null, r);
        }
        return switch (s.migration().phase()) {
            case SCHEDULED ->
                handoff && r.kind() == ReportKind.COMMAND_SUCCEEDED
                        ? s.moveByAgent(
                                RUNNING,
                                ReasonCode.HANDED_OFF.reason("the hypervisor migrates the guest on its own"),
                                null,
                                r)
                        : s;
            case RUNNING ->
                r.kind() == ReportKind.PROGRESS && handoff
                        ? Progress.sample(s, r)
                        : verdict
                                ? (completed(r)
                                        ? confirm(s, r, null)
                                        : s.moveByAgent(FAILED, hypervisorFailed(r), r.figures(), r))
                                : s;
            // the hypervisor's own verdict on a migration whose abort was asked
            case ABORTING ->
                verdict
                        ? (completed(r)
                                ? confirm(s, r, Aborts.tooLate(s.migration()))
                                : s.moveByAgent(ABORTED, s.migration().abortReason(), r.figures(), r))
                        : s;
            case CONFIRMING ->
                r.commandType() != CommandType.CONFIRM
                        ? s
                        : r.kind() == ReportKind.COMMAND_SUCCEEDED
                                ? s.moveByAgent(SUCCEEDED, null, null, r)
                                : s.moveByAgent(FAILED, r.reason(), null, r);
            default -> s;
        };
    }

    private static boolean completed(Input.Report r) {
        return "completed".equals(status(r));
    }

    private static String status(Input.Report r) {
        return r.details() == null ? null : r.details().get(HYPERVISOR_STATUS);
    }

    private static Step confirm(Step s, Input.Report r, Reason reason) {
        s.moveByAgent(CONFIRMING, reason, r.figures(), r);
        return s.send(s.migration().sourceHost(), CommandType.CONFIRM, null, null, null, null);
    }

    private static Reason hypervisorFailed(Input.Report r) {
        String error = r.details() == null ? null : r.details().get("hypervisorError");
        return ReasonCode.MIGRATION_FAILED.reason(
                "the hypervisor reported " + status(r) + (error != null ? ": " + error : ""));
    }
}
