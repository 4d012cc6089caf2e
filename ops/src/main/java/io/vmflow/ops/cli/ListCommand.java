package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The migrations the coordinators know, from their compacted snapshot topic: newest first. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "Migrations and their current phase (from the coordinators' snapshots), newest first.")
final class ListCommand implements Callable<Integer> {

    @Option(names = "--all", description = "Also the ones that ended (default: the last 20 of them).")
    boolean all;

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        Map<String, MigrationSnapshot> latest = new LogReader<>(
                        endpoints,
                        wire,
                        "vmflow-cli-list",
                        TopicCatalogue.MIGRATION_SNAPSHOTS.name(),
                        MigrationSnapshot.class)
                .latest();
        var sorted = latest.values().stream()
                .sorted(Comparator.comparing(MigrationSnapshot::getUpdatedAt).reversed())
                .toList();
        // ids and guest names are the requester's: the columns fit the longest shown
        int idWidth = Math.max(
                14,
                sorted.stream().mapToInt(s -> s.getMigrationId().length()).max().orElse(0));
        int guestWidth = Math.max(
                18,
                sorted.stream()
                        .mapToInt(s -> s.getSpec().getGuest().length())
                        .max()
                        .orElse(0));
        String row = "%-" + idWidth + "s %-" + guestWidth + "s %-17s %-14s %-22s %-9s %s%n";
        System.out.printf(row, "migration", "guest", "phase", "hosts", "flow", "transport", "updated");
        int ended = 0;
        for (MigrationSnapshot s : sorted) {
            boolean done = MigrateCommand.FINAL.contains(s.getPhase());
            if (done && !all && ++ended > 20) {
                continue;
            }
            var spec = s.getSpec();
            String hosts = spec.getSourceHost() + ">"
                    + (spec.getDestinationHost() != null
                            ? spec.getDestinationHost()
                            : spec.getDestinationUri() != null ? "uri" : spec.getMigrationUri() != null ? "qemu" : "?");
            System.out.printf(
                    row,
                    s.getMigrationId(),
                    spec.getGuest(),
                    s.getPhase(),
                    hosts,
                    spec.getControlFlow(),
                    spec.getTransport(),
                    s.getUpdatedAt());
        }
        if (sorted.isEmpty()) {
            System.out.println("(no migration yet)");
        }
        return 0;
    }
}
