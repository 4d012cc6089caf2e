package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.json.RecordJson;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** One migration's timeline: every phase with its time and how long after the request. */
@Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "One migration's timeline of phases (asks the coordinator's API; reads the audit log when"
                + " it cannot answer or does not know the migration, or with --from-topics).")
final class ShowCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The migration id (its request id).")
    String id;

    @Option(names = "--from-topics", description = "Read the audit log rather than ask the API (slower).")
    boolean fromTopics;

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        List<JsonNode> timeline = fromTopics
                ? null
                : CoordinatorApi.fromEnvironment(endpoints)
                        .items("migrations/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/events", "events")
                        .orElse(null);
        if (timeline == null) {
            timeline = fromAuditLog(endpoints);
        }
        if (timeline.isEmpty()) {
            System.out.println("no events for migration '" + id + "': check the id (vmflow list) and"
                    + " KAFKA_BOOTSTRAP_SERVERS (" + endpoints.bootstrapServers() + ")");
            return 1;
        }
        JsonNode first = timeline.get(0);
        JsonNode spec = first.path("spec");
        System.out.println(id + ": " + spec.path("guest").asText() + " from "
                + spec.path("sourceHost").asText() + " ("
                + spec.path("controlFlow").asText() + ", "
                + spec.path("transport").asText() + "), asked by "
                + first.path("principal").asText());
        Instant start = Instant.parse(first.path("occurredAt").asText());
        for (JsonNode e : timeline) {
            double after =
                    Duration.between(start, Instant.parse(e.path("occurredAt").asText()))
                                    .toMillis()
                            / 1000.0;
            System.out.printf("  +%7.1fs  %s%n", after, EventLine.of(e));
        }
        return 0;
    }

    private List<JsonNode> fromAuditLog(Endpoints endpoints) {
        ObjectMapper mapper = new ObjectMapper();
        WireFormat wire = new WireFormat(endpoints.registry());
        List<JsonNode> timeline = new ArrayList<>();
        new LogReader<>(
                        endpoints,
                        wire,
                        "vmflow-cli-show",
                        TopicCatalogue.MIGRATION_EVENTS.name(),
                        MigrationEvent.class)
                .each(
                        (r, e) -> {
                            if (id.equals(r.key())) {
                                timeline.add(mapper.valueToTree(RecordJson.of(e)));
                            }
                        },
                        (r, e) -> {
                            if (id.equals(r.key())) {
                                System.out.println("(undecodable event at " + LogReader.at(r) + ")");
                            }
                        });
        return timeline;
    }
}
