package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.json.RecordJson;

/** One migration event as one line for a terminal, from the event or from its JSON (the API's). */
final class EventLine {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EventLine() {}

    static String of(MigrationEvent e) {
        return of(MAPPER.valueToTree(RecordJson.of(e)));
    }

    static String of(JsonNode e) {
        StringBuilder b = new StringBuilder()
                .append(e.path("occurredAt").asText())
                .append("  ")
                .append(e.path("migrationId").asText())
                .append(" #")
                .append(e.path("sequence").asLong())
                .append("  ")
                .append(text(e, "previousPhase", "-"))
                .append(" -> ")
                .append(e.path("phase").asText())
                .append("  by ")
                .append(e.path("actor").asText())
                .append(':')
                .append(e.path("actorId").asText());
        if (present(e, "hostId")) {
            b.append(" on ").append(e.get("hostId").asText());
        }
        if (present(e, "progressPercent")) {
            int percent = e.get("progressPercent").asInt();
            int filled = Math.max(0, Math.min(20, percent / 5));
            b.append("  [")
                    .append("#".repeat(filled))
                    .append(".".repeat(20 - filled))
                    .append("] ")
                    .append(percent)
                    .append('%');
        }
        JsonNode f = e.path("figures");
        if (present(f, "dataTotalBytes")) {
            b.append(String.format(
                    "  %d/%d MiB",
                    f.path("dataProcessedBytes").asLong() >> 20,
                    f.get("dataTotalBytes").asLong() >> 20));
            if (present(f, "memoryBandwidthBytesPerSecond")) {
                b.append(String.format(
                        " at %d MiB/s", f.get("memoryBandwidthBytesPerSecond").asLong() >> 20));
            }
            if (present(f, "iteration")) {
                b.append(" iteration ").append(f.get("iteration").asLong());
            }
            if (present(f, "downtimeMs") && !"RUNNING".equals(e.path("phase").asText())) {
                b.append(" downtime ").append(f.get("downtimeMs").asLong()).append(" ms");
            }
        }
        JsonNode reason = e.path("reason");
        if (present(reason, "code")) {
            b.append("  [")
                    .append(reason.get("code").asText())
                    .append("] ")
                    .append(reason.path("message").asText());
        }
        return b.toString();
    }

    static boolean present(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v != null && !v.isNull();
    }

    static String text(JsonNode o, String field, String otherwise) {
        return present(o, field) ? o.get(field).asText() : otherwise;
    }
}
