package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** One migration's timeline from the audit log: every phase with its time and how long after the request. */
@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "One migration's timeline of phases, from the audit log.")
final class ShowCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The migration id (its request id).")
    String id;

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        List<MigrationEvent> timeline = new ArrayList<>();
        new LogReader<>(
                        endpoints,
                        wire,
                        "vmflow-cli-show",
                        TopicCatalogue.MIGRATION_EVENTS.name(),
                        MigrationEvent.class)
                .each(
                        (r, e) -> {
                            if (id.equals(r.key())) {
                                timeline.add(e);
                            }
                        },
                        (r, e) -> {
                            if (id.equals(r.key())) {
                                System.out.println("(undecodable event at " + LogReader.at(r) + ")");
                            }
                        });
        if (timeline.isEmpty()) {
            System.out.println("no events for migration '" + id + "': check the id (vmflow list) and"
                    + " KAFKA_BOOTSTRAP_SERVERS (" + endpoints.bootstrapServers() + ")");
            return 1;
        }
        MigrationEvent first = timeline.get(0);
        System.out.println(id + ": " + first.getSpec().getGuest() + " from "
                + first.getSpec().getSourceHost() + " ("
                + first.getSpec().getControlFlow() + ", " + first.getSpec().getTransport() + "), asked by "
                + first.getPrincipal());
        for (MigrationEvent e : timeline) {
            double after =
                    Duration.between(first.getOccurredAt(), e.getOccurredAt()).toMillis() / 1000.0;
            System.out.printf("  +%7.1fs  %s%n", after, EventLine.of(e));
        }
        return 0;
    }
}
