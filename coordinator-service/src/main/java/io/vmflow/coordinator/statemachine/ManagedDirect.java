package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.CONFIRMING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FAILED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FINISHING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.PREPARING_TARGET;
import static io.vmflow.coordinator.statemachine.MigrationPhase.RUNNING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SUCCEEDED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.TARGET_READY;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ReportKind;

/**
 * Managed direct: the coordinator drives every phase with a command to one agent, and each phase
 * waits for one answer.
 *
 * <pre>
 * SCHEDULED --BEGIN src--> PREPARING_TARGET --PREPARE dst--> TARGET_READY, RUNNING --PERFORM src-->
 * FINISHING --FINISH dst--> CONFIRMING --CONFIRM src--> SUCCEEDED
 * </pre>
 */
final class ManagedDirect {

    private ManagedDirect() {}

    static Step start(Step s) {
        Migration m = s.migration();
        return s.send(m.sourceHost(), CommandType.BEGIN, m.destinationHost(), null, null, null);
    }

    static Step on(Step s, Input.Report r) {
        if (r.kind() == ReportKind.COMMAND_ACCEPTED || r.kind() == ReportKind.LEASE_LAPSED) {
            return s; // nothing changes until a command ends; a lapse is followed by PERFORM's failure
        }
        if (r.kind() == ReportKind.PROGRESS) {
            return r.commandType() == CommandType.PERFORM ? Progress.sample(s, r) : s;
        }
        return switch (s.migration().phase()) {
            case SCHEDULED -> r.commandType() == CommandType.BEGIN ? begun(s, r) : unexpected(s, r);
            case PREPARING_TARGET -> r.commandType() == CommandType.PREPARE ? prepared(s, r) : unexpected(s, r);
            case RUNNING -> r.commandType() == CommandType.PERFORM ? performed(s, r) : unexpected(s, r);
            case FINISHING -> r.commandType() == CommandType.FINISH ? finished(s, r) : unexpected(s, r);
            case CONFIRMING -> r.commandType() == CommandType.CONFIRM ? confirmed(s, r) : unexpected(s, r);
            case ABORTING -> Aborts.whileAborting(s, r);
            default -> unexpected(s, r);
        };
    }

    private static boolean failed(Input.Report r) {
        return r.kind() == ReportKind.COMMAND_FAILED || r.kind() == ReportKind.COMMAND_REFUSED;
    }

    private static Step begun(Step s, Input.Report r) {
        Migration m = s.migration();
        if (failed(r)) {
            return s.moveByAgent(FAILED, r.reason(), null, r);
        }
        s.update(m.withDomainXml(r.domainXml()));
        s.move(PREPARING_TARGET);
        return s.send(m.destinationHost(), CommandType.PREPARE, m.sourceHost(), r.domainXml(), m.migrationUri(), null);
    }

    private static Step prepared(Step s, Input.Report r) {
        Migration m = s.migration();
        if (failed(r)) {
            return s.moveByAgent(FAILED, r.reason(), null, r);
        }
        String uri = m.migrationUri() != null ? m.migrationUri() : r.migrationUri();
        s.update(m.withMigrationUri(uri));
        s.moveByAgent(TARGET_READY, null, null, r);
        s.move(RUNNING);
        s.update(s.migration().performing(true, r.at()));
        return s.send(m.sourceHost(), CommandType.PERFORM, m.destinationHost(), null, uri, null);
    }

    private static Step performed(Step s, Input.Report r) {
        Migration m = s.migration();
        s.update(m.performing(false, r.at()));
        if (failed(r)) {
            return Aborts.performFailed(s, r);
        }
        s.moveByAgent(FINISHING, null, r.figures(), r);
        return s.send(m.destinationHost(), CommandType.FINISH, m.sourceHost(), null, null, null);
    }

    private static Step finished(Step s, Input.Report r) {
        Migration m = s.migration();
        if (failed(r)) {
            return s.moveByAgent(FAILED, r.reason(), null, r);
        }
        s.moveByAgent(CONFIRMING, null, null, r);
        return s.send(m.sourceHost(), CommandType.CONFIRM, m.destinationHost(), null, null, null);
    }

    private static Step confirmed(Step s, Input.Report r) {
        return r.kind() == ReportKind.COMMAND_SUCCEEDED
                ? s.moveByAgent(SUCCEEDED, null, null, r)
                : s.moveByAgent(FAILED, r.reason(), null, r);
    }

    private static Step unexpected(Step s, Input.Report r) {
        return s.refuse("unexpected " + r.commandType() + " " + r.kind() + " from " + r.hostId() + " while "
                + s.migration().phase());
    }
}
