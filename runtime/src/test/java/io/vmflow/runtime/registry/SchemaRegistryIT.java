package io.vmflow.runtime.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.RealStack;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** The client against the real registry's Confluent API: ids, caching, compatibility, refusals. */
class SchemaRegistryIT {

    private final SchemaRegistryClient registry = RealStack.registry();

    private static Schema eventWithExtraField(String fieldJson) {
        String json = MigrationEvent.SCHEMA$.toString();
        int at = json.indexOf("\"fields\":[") + "\"fields\":[".length();
        return new Schema.Parser().parse(json.substring(0, at) + fieldJson + "," + json.substring(at));
    }

    @Test
    void registeringTheSameSchemaTwiceGivesTheSameId() {
        String subject = "it-" + UUID.randomUUID() + "-value";
        int id = registry.register(subject, MigrationEvent.SCHEMA$);
        int again = RealStack.endpoints().registry().register(subject, MigrationEvent.SCHEMA$); // a second client
        assertThat(again).isEqualTo(id);
        assertThat(registry.latest(subject).id()).isEqualTo(id);
        assertThat(registry.subjects()).contains(subject);
    }

    @Test
    void vmflowSubjectsAreBackwardCompatible() {
        assertThat(registry.compatibility(TopicCatalogue.MIGRATION_EVENTS.valueSubject()))
                .isEqualTo(Compatibility.BACKWARD);
        assertThat(registry.globalCompatibility()).isEqualTo(Compatibility.BACKWARD);
    }

    @Test
    void anIncompatibleChangeToTheAuditLogIsRefusedByTheRegistry() {
        String subject = TopicCatalogue.MIGRATION_EVENTS.valueSubject();
        registry.register(subject, MigrationEvent.SCHEMA$);
        Schema incompatible = eventWithExtraField("{\"name\":\"tenant\",\"type\":\"string\"}");

        assertThat(registry.isCompatible(subject, incompatible)).isFalse();
        assertThatThrownBy(() -> registry.register(subject, incompatible))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.isIncompatible()).isTrue();
                    assertThat(e.status()).isEqualTo(409);
                });
    }

    @Test
    void aCompatibleChangeIsAcceptedUnderBackward() {
        String subject = "it-" + UUID.randomUUID() + "-value";
        registry.setCompatibility(subject, Compatibility.BACKWARD);
        int v1 = registry.register(subject, MigrationEvent.SCHEMA$);
        Schema v2 = eventWithExtraField("{\"name\":\"tenant\",\"type\":\"string\",\"default\":\"\"}");
        assertThat(registry.isCompatible(subject, v2)).isTrue();
        assertThat(registry.register(subject, v2)).isNotEqualTo(v1);
        assertThat(registry.latest(subject).schema()).isEqualTo(v2);
    }

    @Test
    void anUnknownIdIsNotFound() {
        assertThatThrownBy(() -> registry.schemaById(987_654_321))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> assertThat(e.isNotFound()).isTrue());
    }

    /**
     * The registry takes only vmflow's principals: TLS 1.3 with a client certificate of the stack's CA.
     * Without a certificate, or in plain HTTP, nothing gets through; a principal's certificate does.
     */
    @Test
    void onlyVmflowPrincipalsReachTheRegistry() throws Exception {
        io.vmflow.runtime.kafka.Endpoints e = RealStack.endpoints();
        org.assertj.core.api.Assumptions.assumeThat(e.registryUrl())
                .as("the stack runs with the plaintext development switch")
                .startsWith("https:");
        java.net.URI subjects = java.net.URI.create(e.registryUrl() + "/subjects");
        java.net.URI plainSubjects = java.net.URI.create(subjects.toString().replaceFirst("^https:", "http:"));
        java.net.http.HttpClient admin = java.net.http.HttpClient.newBuilder()
                .sslContext(io.vmflow.runtime.security.PemTls.client(e.tlsDir()))
                .build();
        java.net.http.HttpClient noCertificate = java.net.http.HttpClient.newBuilder()
                .sslContext(
                        io.vmflow.runtime.security.PemTls.trusting(e.tlsDir().resolve("ca.crt")))
                .build();

        assertThat(get(admin, subjects)).isEqualTo("HTTP 200");
        assertThat(get(noCertificate, subjects)).as("no client certificate").isEqualTo("refused");
        assertThat(get(java.net.http.HttpClient.newHttpClient(), plainSubjects))
                .as("plain HTTP")
                .isIn("refused", "HTTP 400");
    }

    /** "HTTP status", or "refused" when the connection or its handshake failed. */
    private static String get(java.net.http.HttpClient client, java.net.URI uri) throws InterruptedException {
        try {
            return "HTTP "
                    + client.send(
                                    java.net.http.HttpRequest.newBuilder(uri)
                                            .timeout(java.time.Duration.ofSeconds(20))
                                            .build(),
                                    java.net.http.HttpResponse.BodyHandlers.discarding())
                            .statusCode();
        } catch (java.io.IOException x) {
            return "refused";
        }
    }
}
