package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.runtime.json.RecordJson;
import org.apache.avro.specific.SpecificRecord;

/** A record as one line of plain JSON for other tools (jq, log shippers), in {@link RecordJson}'s shape. */
final class JsonLine {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonLine() {}

    static String of(SpecificRecord r) {
        try {
            return MAPPER.writeValueAsString(RecordJson.of(r));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + r.getSchema().getFullName() + " as JSON", e);
        }
    }
}
