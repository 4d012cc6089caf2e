package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.runtime.json.RecordJson;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The migrations and their phase, newest first: from the coordinator's API, or its compacted snapshot topic. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "Migrations and their current phase, newest first (asks the coordinator's API;"
                + " reads the snapshot topic when it cannot answer, or with --from-topics).")
final class ListCommand implements Callable<Integer> {

    /** What the API lists at most. */
    static final int API_LIMIT = 500;

    @Option(names = "--all", description = "Also the ones that ended (default: the last 20 of them).")
    boolean all;

    @Option(
            names = "--from-topics",
            description = "Read the coordinators' snapshot topic rather than ask the API (every coordinator's"
                    + " migrations, however many; slower).")
    boolean fromTopics;

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        List<JsonNode> migrations = fromTopics ? null : fromApi(CoordinatorApi.fromEnvironment(endpoints));
        if (migrations == null) {
            migrations = fromSnapshots(endpoints);
        } else if (all && migrations.size() >= API_LIMIT) {
            System.err.println("(the coordinator lists its newest " + API_LIMIT + ": --from-topics for all)");
        }
        print(migrations);
        return 0;
    }

    /** The API's answer (the open ones and the last 20 ended, or its newest 500), or null when it has none. */
    private List<JsonNode> fromApi(CoordinatorApi api) {
        List<JsonNode> l = new ArrayList<>();
        for (String query :
                all ? List.of("migrations") : List.of("migrations?final=false", "migrations?final=true&limit=20")) {
            var items = api.items(query, "migrations");
            if (items.isEmpty()) {
                return null;
            }
            l.addAll(items.get());
        }
        l.sort(Comparator.comparing((JsonNode m) -> m.path("createdAt").asText())
                .reversed());
        return l;
    }

    /** The snapshots' latest values in the API's shape, newest first. */
    private static List<JsonNode> fromSnapshots(Endpoints endpoints) {
        ObjectMapper mapper = new ObjectMapper();
        WireFormat wire = new WireFormat(endpoints.registry());
        return new LogReader<>(
                        endpoints,
                        wire,
                        "vmflow-cli-list",
                        TopicCatalogue.MIGRATION_SNAPSHOTS.name(),
                        MigrationSnapshot.class)
                .latest().values().stream()
                        .sorted(Comparator.comparing(MigrationSnapshot::getCreatedAt)
                                .reversed())
                        .map(s -> mapper.<JsonNode>valueToTree(view(s)))
                        .toList();
    }

    /** A snapshot as the API's view of a migration has it (phaseSince: its last update when it does not say). */
    static Map<String, Object> view(MigrationSnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("migrationId", s.getMigrationId());
        m.put("phase", s.getPhase().name());
        m.put("final", MigrateCommand.FINAL.contains(s.getPhase().name()));
        m.put("createdAt", s.getCreatedAt().toString());
        m.put(
                "phaseSince",
                (s.getPhaseSinceMs() != null ? Instant.ofEpochMilli(s.getPhaseSinceMs()) : s.getUpdatedAt())
                        .toString());
        m.put("spec", RecordJson.of(s.getSpec()));
        return m;
    }

    private void print(List<JsonNode> migrations) {
        // ids and guest names are the requester's: the columns fit the longest shown
        int idWidth = Math.max(
                14,
                migrations.stream()
                        .mapToInt(m -> m.path("migrationId").asText().length())
                        .max()
                        .orElse(0));
        int guestWidth = Math.max(
                18,
                migrations.stream()
                        .mapToInt(m -> m.path("spec").path("guest").asText().length())
                        .max()
                        .orElse(0));
        String row = "%-" + idWidth + "s %-" + guestWidth + "s %-17s %-14s %-22s %-9s %s%n";
        System.out.printf(row, "migration", "guest", "phase", "hosts", "flow", "transport", "in phase since");
        int ended = 0;
        for (JsonNode m : migrations) {
            if (m.path("final").asBoolean() && !all && ++ended > 20) {
                continue;
            }
            JsonNode spec = m.path("spec");
            String to = EventLine.present(spec, "destinationHost")
                    ? spec.get("destinationHost").asText()
                    : EventLine.present(spec, "destinationUri")
                            ? "uri"
                            : EventLine.present(spec, "migrationUri") ? "qemu" : "?";
            System.out.printf(
                    row,
                    m.path("migrationId").asText(),
                    spec.path("guest").asText(),
                    m.path("phase").asText(),
                    spec.path("sourceHost").asText() + ">" + to,
                    spec.path("controlFlow").asText(),
                    spec.path("transport").asText(),
                    EventLine.text(m, "phaseSince", "-"));
        }
        if (migrations.isEmpty()) {
            System.out.println("(no migration yet)");
        }
    }
}
