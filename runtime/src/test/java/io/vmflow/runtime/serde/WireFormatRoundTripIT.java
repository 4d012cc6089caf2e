package io.vmflow.runtime.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.schemas.SampleRecords;
import io.vmflow.schemas.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every message type through the real broker and the real registry, with the serdes configured the
 * way any Kafka application configures them (by class name and {@code schema.registry.url}).
 */
class WireFormatRoundTripIT {

    static Stream<Arguments> everyMessageType() {
        return SampleRecords.byTopic().entrySet().stream()
                .map(e -> Arguments.of(
                        e.getKey().valueType().getSimpleName() + " on "
                                + e.getKey().name(),
                        e.getKey(),
                        e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyMessageType")
    void roundTripsInTheConfluentWireFormatWithTheRegistrysId(String label, Topic topic, SpecificRecord record)
            throws Exception {
        Endpoints endpoints = RealStack.endpoints();
        // a topic of the test's own with the same value type: samples must not pollute the real topics
        // (the audit log above all: vmflow audit would rightly flag a sample event there)
        String name = RealStack.scratchTopic(topic.name().replace("vmflow.", "").replace(".", "-"));

        // the stack's connection settings (mutual TLS as the test's principal), Apicurio's serializer
        Properties p = endpoints.producer("it-roundtrip");
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        p.put(SerdeConfig.SCHEMA_REGISTRY_URL, endpoints.registryUrl());
        Map<String, Object> registryTls = endpoints.tlsDir() == null
                ? Map.of()
                : Map.of(SerdeConfig.REGISTRY_TLS_DIR, endpoints.tlsDir().toString());
        p.putAll(registryTls);
        RecordMetadata written;
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(p)) {
            written = producer.send(new ProducerRecord<>(name, "mig-1", record)).get();
        }

        TopicPartition tp = new TopicPartition(name, written.partition());
        Properties c = endpoints.consumer(null, "it-roundtrip");
        byte[] bytes = readOne(c, tp, written.offset()).value();

        SchemaRegistryClient registry = RealStack.registry();
        int idInBytes = WireFormat.schemaId(bytes);
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(idInBytes).isEqualTo(registry.latest(name + "-value").id());
        assertThat(registry.schemaById(idInBytes)).isEqualTo(record.getSchema());

        try (AvroDeserializer<SpecificRecord> deserializer = new AvroDeserializer<>()) {
            Map<String, Object> config = new java.util.HashMap<>(registryTls);
            config.put(SerdeConfig.SCHEMA_REGISTRY_URL, endpoints.registryUrl());
            deserializer.configure(config, false);
            assertThat(deserializer.deserialize(name, bytes)).isEqualTo(record);
        }
    }

    static ConsumerRecord<String, byte[]> readOne(Properties c, TopicPartition tp, long offset) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (got.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(got::add);
            }
            assertThat(got).as("record at %s@%d", tp, offset).isNotEmpty();
            return got.get(0);
        }
    }
}
