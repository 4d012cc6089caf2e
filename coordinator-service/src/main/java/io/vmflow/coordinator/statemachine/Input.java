package io.vmflow.coordinator.statemachine;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import java.time.Instant;
import java.util.Map;

/** What can happen to a migration: each one is handled by {@link MigrationMachine#on}. */
public sealed interface Input {

    /** The request passed validation and was planned. */
    record Planned(MigrationSpec spec, String migrationUri, long guestMemoryBytes, Reason warning) implements Input {
        public Planned(MigrationSpec spec, String migrationUri, long guestMemoryBytes) {
            this(spec, migrationUri, guestMemoryBytes, null);
        }
    }

    /** The request failed validation. */
    record Invalid(Reason reason) implements Input {}

    /** Admission has no slot yet. */
    record Queued(String why) implements Input {}

    /** Admission gave it a slot: start. */
    record Admitted(Instant now) implements Input {}

    /** An agent's report about this migration. */
    record Report(
            String hostId,
            CommandType commandType,
            ReportKind kind,
            Reason reason,
            JobFigures figures,
            Map<String, String> details,
            String migrationUri,
            String domainXml,
            Instant at)
            implements Input {}

    /** Someone asked to cancel it. */
    record Cancel(String principal, String why, Instant now) implements Input {}

    /**
     * Time passed (deadlines, timeouts and stall detection).
     *
     * @param phaseSince     when the migration entered its current phase (null: unknown, no phase deadline)
     * @param observingSince since when the coordinator has seen every report without a break (after its
     *                       start or an outage); no clock counts time it could not see (null: always)
     */
    record Tick(Instant now, Instant phaseSince, Instant observingSince) implements Input {
        public Tick(Instant now) {
            this(now, null, null);
        }
    }
}
