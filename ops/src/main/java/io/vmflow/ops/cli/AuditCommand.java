package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.ops.audit.AuditCheck;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Replays the audit log from offset 0 and checks it; exit 1 when vmflow's events are not complete and
 * in order. Records in the log that are not vmflow events at all (anyone with write access to the
 * topic can put bytes there; the coordinator dead-letters them) are listed as FOREIGN: they do not
 * break vmflow's own record, but an auditor wants to know, and {@code --strict} counts them as problems.
 */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = "Replay the migration events from offset 0 and check every migration's sequence.")
final class AuditCommand implements Callable<Integer> {

    @Option(names = "--strict", description = "Count records that are not vmflow events as problems (exit 1).")
    boolean strict;

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        AuditCheck check = new AuditCheck();
        List<String> foreign = new ArrayList<>();
        new LogReader<>(
                        endpoints,
                        wire,
                        "vmflow-cli-audit",
                        TopicCatalogue.MIGRATION_EVENTS.name(),
                        MigrationEvent.class)
                .each((r, e) -> check.accept(e), (r, e) -> {
                    String line = LogReader.at(r) + ": " + e.getMessage();
                    if (e.isTransient()) {
                        check.problems().add("could not read the record at " + line); // the registry is away
                    } else {
                        foreign.add(line);
                    }
                });
        System.out.printf(
                "%d events, %d migrations: %d still open, ended %s%n",
                check.events(), check.migrations(), check.open(), check.byFinalPhase());
        foreign.forEach(f -> System.out.println("FOREIGN " + f));
        if (strict) {
            foreign.forEach(f -> check.problems().add("not a vmflow event: " + f));
        }
        check.problems().forEach(p -> System.out.println("PROBLEM " + p));
        System.out.println(
                check.problems().isEmpty()
                        ? "audit log complete, in order, without duplicates"
                        : check.problems().size() + " problems");
        if (!foreign.isEmpty()) {
            System.out.println(foreign.size() + " record(s) in the log are not vmflow events (written by someone else;"
                    + " vmflow.dead-letter holds them with the reason)");
        }
        return check.problems().isEmpty() ? 0 : 1;
    }
}
