package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.ops.audit.AuditCheck;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.registry.SchemaRegistryClient;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Replays the audit log from offset 0 and checks it; exit 1 when it is not complete and in order. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Replay the migration events from offset 0 and check every migration's sequence.")
final class AuditCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(new SchemaRegistryClient(endpoints.registryUrl()));
        AuditCheck check = new AuditCheck();
        new LogReader<>(endpoints, wire, "vmflow-cli-audit", TopicCatalogue.MIGRATION_EVENTS.name(), MigrationEvent.class)
                .each((r, e) -> check.accept(e), (r, e) -> check.problems().add("undecodable record at "
                        + LogReader.at(r) + ": " + e.getMessage()));
        System.out.printf("%d events, %d migrations: %d still open, ended %s%n", check.events(), check.migrations(),
                check.open(), check.byFinalPhase());
        check.problems().forEach(p -> System.out.println("PROBLEM " + p));
        System.out.println(check.problems().isEmpty() ? "audit log complete, in order, without duplicates"
                : check.problems().size() + " problems");
        return check.problems().isEmpty() ? 0 : 1;
    }
}
