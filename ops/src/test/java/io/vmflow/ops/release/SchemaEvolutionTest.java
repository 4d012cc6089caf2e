package io.vmflow.ops.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * The build's schema-evolution gate: this test fails the build when a schema can no longer read
 * what a released version wrote.
 */
class SchemaEvolutionTest {

    @Test
    void currentSchemasReadEveryReleasedVersion() {
        assertThat(SchemaEvolution.releasedVersions()).isNotEmpty();
        assertThat(SchemaEvolution.check())
                .as("schema changes must be BACKWARD compatible with every release (add fields with defaults)")
                .isEmpty();
    }

    @Test
    void everyReleasedMessageTypeStillExists() {
        String last = SchemaEvolution.releasedVersions()
                .get(SchemaEvolution.releasedVersions().size() - 1);
        assertThat(SchemaEvolution.current().keySet())
                .containsAll(SchemaEvolution.released(last).keySet());
    }

    @Test
    void aRequiredFieldWithoutDefaultIsReported() {
        Schema changed = withExtraField(MigrationEvent.SCHEMA$, "{\"name\":\"tenant\",\"type\":\"string\"}");
        assertThat(SchemaEvolution.backwardProblems(changed, MigrationEvent.SCHEMA$))
                .singleElement()
                .asString()
                .contains("READER_FIELD_MISSING_DEFAULT")
                .contains("tenant");
    }

    @Test
    void aFieldWithADefaultIsAccepted() {
        Schema changed =
                withExtraField(MigrationEvent.SCHEMA$, "{\"name\":\"tenant\",\"type\":\"string\",\"default\":\"\"}");
        assertThat(SchemaEvolution.backwardProblems(changed, MigrationEvent.SCHEMA$))
                .isEmpty();
    }

    @Test
    void aChangedFieldTypeIsReported() {
        String json = MigrationRequest.SCHEMA$
                .toString()
                .replace(
                        "{\"name\":\"principal\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}",
                        "{\"name\":\"principal\",\"type\":\"int\"");
        Schema changed = new Schema.Parser().parse(json);
        assertThat(SchemaEvolution.backwardProblems(changed, MigrationRequest.SCHEMA$))
                .anySatisfy(p -> assertThat(p).contains("TYPE_MISMATCH").contains("principal"));
    }

    static Schema withExtraField(Schema schema, String fieldJson) {
        String json = schema.toString();
        int fieldsStart = json.indexOf("\"fields\":[") + "\"fields\":[".length();
        return new Schema.Parser()
                .parse(json.substring(0, fieldsStart) + fieldJson + "," + json.substring(fieldsStart));
    }
}
