package io.vmflow.coordinator.statemachine;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.Reason;

/** What the runtime must do after a step: write events, send commands, or report a refused input. */
public sealed interface Effect {

    /** A phase transition (or a RUNNING progress update), to be written to the audit log. */
    record Transition(
            MigrationPhase from,
            MigrationPhase to,
            long sequence,
            Reason reason,
            JobFigures figures,
            String hostId,
            boolean byAgent)
            implements Effect {}

    /** A command for one host's agent (ids and epoch are added by the runtime). */
    record Command(
            String hostId, CommandType type, String peerHost, String domainXml, String migrationUri, Reason reason)
            implements Effect {}

    /** An input the machine refused (an illegal transition, a report it did not expect). */
    record Refused(String why) implements Effect {}
}
