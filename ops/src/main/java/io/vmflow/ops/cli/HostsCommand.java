package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.avro.HostState;
import io.vmflow.runtime.json.RecordJson;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Every host's latest state: liveness, load, limits, relay, guests (the coordinator's view, or the topics'). */
@Command(
        name = "hosts",
        mixinStandardHelpOptions = true,
        description = "The hosts as their agents last reported them (state, heartbeat age, guests, load, relay);"
                + " asks the coordinator's API, reads the host-state topics when it cannot answer or with"
                + " --from-topics.")
final class HostsCommand implements Callable<Integer> {

    @Option(names = "--from-topics", description = "Read the host-state topics rather than ask the API (slower).")
    boolean fromTopics;

    @Override
    public Integer call() {
        StageTrace.mark("command parsed");
        Endpoints endpoints = Endpoints.fromEnvironment();
        List<JsonNode> hosts = fromTopics
                ? null
                : CoordinatorApi.fromEnvironment(endpoints)
                        .items("hosts", "hosts")
                        .orElse(null);
        if (hosts == null) {
            ObjectMapper mapper = new ObjectMapper();
            hosts = HostLookup.all(endpoints, new WireFormat(endpoints.registry())).values().stream()
                    .sorted(Comparator.comparing(HostState::getHostId))
                    .map(h -> mapper.<JsonNode>valueToTree(RecordJson.of(h)))
                    .toList();
        }
        if (hosts.isEmpty()) {
            System.out.println("no host has reported yet: start an agent per host (ops/agents.sh up), and check"
                    + " KAFKA_BOOTSTRAP_SERVERS (" + endpoints.bootstrapServers() + ")");
            return 1;
        }
        System.out.printf(
                "%-10s %-9s %8s %10s %13s %-12s %-17s %-16s %s%n",
                "host", "state", "seen", "migrating", "free/total", "ports", "migration net", "relay", "guests");
        for (JsonNode h : hosts) {
            long age = Duration.between(Instant.parse(h.path("reportedAt").asText()), Instant.now())
                    .toSeconds();
            String liveness = h.path("liveness").asText();
            String guests = StreamSupport.stream(h.path("guests").spliterator(), false)
                    .map(g -> g.path("name").asText() + "("
                            + g.path("state").asText().toLowerCase()
                            + (g.path("persistent").asBoolean() ? ",persistent" : "") + ")")
                    .collect(Collectors.joining(" "));
            System.out.printf(
                    "%-10s %-9s %7ds %10d %6d/%-6d %-12s %-17s %-16s %s%n",
                    h.path("hostId").asText(),
                    age > 30 && !"DOWN".equals(liveness) ? "SILENT" : liveness,
                    age,
                    h.path("runningMigrations").asInt(),
                    h.path("memoryFreeBytes").asLong() >> 20,
                    h.path("memoryTotalBytes").asLong() >> 20,
                    h.path("migrationPortMin").asInt() + "-"
                            + h.path("migrationPortMax").asInt(),
                    StreamSupport.stream(h.path("migrationAddresses").spliterator(), false)
                            .map(JsonNode::asText)
                            .collect(Collectors.joining(",")),
                    EventLine.text(h, "relayEndpoint", "-"),
                    guests.isEmpty() ? "-" : guests);
        }
        System.out.println("(free/total memory in MiB; SILENT: no heartbeat for over 30 s)");
        return 0;
    }
}
