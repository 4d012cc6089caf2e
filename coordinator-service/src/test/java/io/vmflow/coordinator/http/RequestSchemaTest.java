package io.vmflow.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API's bodies are checked against the openapi.yaml it publishes, and each answer names the field. */
class RequestSchemaTest {

    static Vertx vertx;
    static RequestSchema schema;

    @BeforeAll
    static void load() throws Exception {
        vertx = Vertx.vertx();
        schema = RequestSchema.load(vertx);
    }

    @AfterAll
    static void close() {
        vertx.close();
    }

    static JsonObject minimal() {
        return new JsonObject().put("guest", "web").put("sourceHost", "hostA");
    }

    @Test
    void aMinimalRequestPassesAndGetsTheDocumentedDefaults() {
        assertThat(schema.migrationRequest(minimal())).isEmpty();
        MigrationRequest r = RequestJson.request(minimal(), "alice");
        assertThat(r.getSpec().getControlFlow()).isEqualTo(ControlFlow.MANAGED_PEER_TO_PEER);
        assertThat(r.getSpec().getLive()).isTrue();
        assertThat(r.getRequestId()).startsWith("mig-");
        assertThat(r.getPrincipal()).isEqualTo("alice");
    }

    @Test
    void aMissingGuestIsNamed() {
        assertThat(schema.migrationRequest(new JsonObject().put("sourceHost", "hostA")))
                .hasValue("'guest' is required");
        assertThat(schema.migrationRequest(minimal().put("guest", "")))
                .hasValueSatisfying(p -> assertThat(p).contains("guest"));
    }

    @Test
    void anUnknownFieldIsNamed() {
        assertThat(schema.migrationRequest(minimal().put("destinatonHost", "hostB")))
                .hasValue("unknown field 'destinatonHost'; the fields are " + schema.migrationFields());
    }

    @Test
    void aWrongTypeIsNamed() {
        assertThat(schema.migrationRequest(minimal().put("bandwidthMiBps", "fast")))
                .hasValueSatisfying(p -> assertThat(p).contains("bandwidthMiBps"));
        assertThat(schema.migrationRequest(minimal().put("live", "yes")))
                .hasValue("'live': Instance type string is invalid. Expected boolean");
    }

    @Test
    void anUnknownEnumValueIsNamed() {
        assertThat(schema.migrationRequest(minimal().put("controlFlow", "TELEPORT")))
                .hasValueSatisfying(p -> assertThat(p).contains("controlFlow"));
    }

    @Test
    void aRequestIdOutsideThePatternIsRefused() {
        assertThat(schema.migrationRequest(minimal().put("requestId", "no spaces")))
                .hasValueSatisfying(p -> assertThat(p).contains("requestId"));
    }

    @Test
    void aCancelTakesOnlyAReason() {
        assertThat(schema.cancel(new JsonObject().put("reason", "maintenance over")))
                .isEmpty();
        assertThat(schema.cancel(new JsonObject().put("why", "x"))).isPresent();
    }
}
