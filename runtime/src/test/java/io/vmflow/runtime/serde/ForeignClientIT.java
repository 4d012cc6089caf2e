package io.vmflow.runtime.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.RealStack;
import io.vmflow.schemas.SampleRecords;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * A Confluent-compatible client that is not vmflow's (Apicurio's Kafka serde, reading the 4-byte-id
 * wire format and fetching schemas from the registry on its own) decodes vmflow's records using only
 * the registry: no vmflow class is on its side of the decode.
 */
class ForeignClientIT {

    @Test
    void apicuriosDeserializerReadsVmflowRecordsFromTheRegistryAlone() {
        String subject = TopicCatalogue.MIGRATION_EVENTS.valueSubject();
        MigrationEvent event = SampleRecords.event();
        byte[] bytes = new WireFormat(RealStack.registry()).encode(subject, event);

        Map<String, Object> config = new HashMap<>();
        config.put(
                "apicurio.registry.url",
                RealStack.endpoints().registryUrl().replace("/apis/ccompat/v7", "/apis/registry/v2"));
        config.put("apicurio.registry.id-handler", "io.apicurio.registry.serde.Legacy4ByteIdHandler");
        config.put("apicurio.registry.use-id", "contentId");
        config.put("apicurio.registry.headers.enabled", false);
        // a registry that requires a client certificate: the JVM's default TLS context presents the test
        // principal's, as javax.net.ssl.keyStore would for any JVM client (Apicurio's client uses it)
        javax.net.ssl.SSLContext before = defaultTls();
        if (RealStack.endpoints().registryUrl().startsWith("https:")) {
            javax.net.ssl.SSLContext.setDefault(io.vmflow.runtime.security.PemTls.client(
                    RealStack.endpoints().tlsDir()));
        }
        try (AvroKafkaDeserializer<GenericRecord> foreign = new AvroKafkaDeserializer<>()) {
            foreign.configure(config, false);
            GenericRecord decoded = foreign.deserialize(TopicCatalogue.MIGRATION_EVENTS.name(), bytes);

            assertThat(decoded.getSchema().getFullName()).isEqualTo("io.vmflow.avro.MigrationEvent");
            assertThat(decoded.get("migrationId").toString()).isEqualTo(event.getMigrationId());
            assertThat(decoded.get("sequence")).isEqualTo(event.getSequence());
            assertThat(decoded.get("phase").toString()).isEqualTo("RUNNING");
            assertThat(decoded.get("occurredAt"))
                    .isIn(event.getOccurredAt(), event.getOccurredAt().toEpochMilli());
            GenericRecord figures = (GenericRecord) decoded.get("figures");
            assertThat(figures.get("dataTotalBytes"))
                    .isEqualTo(event.getFigures().getDataTotalBytes());
            GenericRecord spec = (GenericRecord) decoded.get("spec");
            assertThat(spec.get("guest").toString()).isEqualTo("web-1");
        } finally {
            javax.net.ssl.SSLContext.setDefault(before);
        }
    }

    private static javax.net.ssl.SSLContext defaultTls() {
        try {
            return javax.net.ssl.SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
