package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.avro.MigrationRequest;
import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.SampleRecords;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Bad bytes on a topic end up in the dead-letter topic, whole, with the reason in headers; good
 * records around them are still handled; nothing is dropped.
 */
class DeadLetterIT {

    @Test
    void undecodableAndInvalidRecordsAreDeadLetteredWithTheirReasonAndGoodOnesAreHandled() throws Exception {
        Endpoints endpoints = RealStack.endpoints();
        WireFormat wire = new WireFormat(RealStack.registry());
        String topic = RealStack.scratchTopic("requests");
        String subject = TopicCatalogue.MIGRATION_REQUESTS.valueSubject();

        byte[] good = wire.encode(subject, SampleRecords.request());
        byte[] invalid = wire.encode(
                subject,
                MigrationRequest.newBuilder(SampleRecords.request())
                        .setRequestId("invalid")
                        .build());
        byte[] unknownId = ByteBuffer.allocate(9)
                .put((byte) 0)
                .putInt(987_654_321)
                .putInt(7)
                .array();
        byte[] wrongType = wire.encode(TopicCatalogue.MIGRATION_EVENTS.valueSubject(), SampleRecords.event());
        byte[] hugeString = ByteBuffer.allocate(10)
                .put((byte) 0)
                .putInt(WireFormat.schemaId(good))
                .put(new byte[] {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f})
                .array(); // 2^31-1 bytes
        byte[] random = new byte[900 * 1024];
        new java.util.Random(13).nextBytes(random);
        random[0] = 0;
        Map<String, byte[]> sent = Map.ofEntries(
                Map.entry("good", good),
                Map.entry("huge-string", hugeString),
                Map.entry("random-900k", random),
                Map.entry("invalid", invalid),
                Map.entry("json", "{\"guest\":\"web-1\"}".getBytes(StandardCharsets.UTF_8)),
                Map.entry("short", new byte[] {0, 0, 1}),
                Map.entry("unknown-id", unknownId),
                Map.entry("cut-avro", Arrays.copyOf(good, good.length - 10)),
                Map.entry(
                        "trailing",
                        ByteBuffer.allocate(good.length + 3)
                                .put(good)
                                .put(new byte[] {1, 2, 3})
                                .array()),
                Map.entry("wrong-type", wrongType));
        Map<String, String> expectedReasons = Map.of(
                "huge-string", "MALFORMED_AVRO",
                "random-900k", "UNKNOWN_SCHEMA_ID",
                "invalid", "INVALID_REQUEST",
                "json", "BAD_MAGIC_BYTE",
                "short", "TRUNCATED",
                "unknown-id", "UNKNOWN_SCHEMA_ID",
                "cut-avro", "MALFORMED_AVRO",
                "trailing", "MALFORMED_AVRO",
                "wrong-type", "WRONG_RECORD_TYPE");

        Map<TopicPartition, Long> dltStart = endOffsets(endpoints, TopicCatalogue.DEAD_LETTER.name());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("it-bad-bytes"))) {
            for (Map.Entry<String, byte[]> e : sent.entrySet()) {
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, e.getKey(), e.getValue());
                r.headers().add("origin", "dead-letter-it".getBytes(StandardCharsets.UTF_8));
                producer.send(r).get();
            }
        }

        List<String> handled = new CopyOnWriteArrayList<>();
        List<Throwable> deaths = new CopyOnWriteArrayList<>();
        Loops loops = new Loops("it", java.time.Clock.systemUTC(), Loops.DEFAULT_STUCK_AFTER, (l, e) -> deaths.add(e));
        KafkaProducer<String, byte[]> dltProducer = new KafkaProducer<>(endpoints.producer("it-dlt"));
        String group = "it-dlt-" + UUID.randomUUID();
        try (DecodingConsumer<MigrationRequest> consumer = new DecodingConsumer<>(
                        "it-consumer",
                        new KafkaConsumer<>(endpoints.consumer(group, "it-consumer")),
                        List.of(topic),
                        wire,
                        MigrationRequest.class,
                        (raw, request) -> {
                            if (request.getRequestId().equals("invalid")) {
                                throw new InvalidRecordException(
                                        ReasonCode.INVALID_REQUEST, "request id 'invalid' is refused");
                            }
                            handled.add(raw.key());
                        },
                        new DeadLetters(dltProducer, group),
                        loops)
                .start()) {

            Map<String, ConsumerRecord<String, byte[]>> dead = new ConcurrentHashMap<>();
            try (KafkaConsumer<String, byte[]> dlt = new KafkaConsumer<>(endpoints.consumer(null, "it-dlt-reader"))) {
                dlt.assign(dltStart.keySet());
                dltStart.forEach(dlt::seek);
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    for (ConsumerRecord<String, byte[]> r : dlt.poll(Duration.ofMillis(300))) {
                        if (topic.equals(DeadLetters.header(r.headers(), DeadLetters.TOPIC))) {
                            dead.put(r.key(), r);
                        }
                    }
                    return dead.size() >= expectedReasons.size() && handled.contains("good");
                });
            }

            assertThat(handled).containsExactly("good");
            assertThat(deaths).isEmpty();
            assertThat(loops.check().ok()).isTrue();
            assertThat(consumer.deadLettered()).isEqualTo(expectedReasons.size());
            assertThat(dead.keySet()).containsExactlyInAnyOrderElementsOf(expectedReasons.keySet());
            Map<String, String> reasons = dead.values().stream()
                    .collect(Collectors.toMap(
                            ConsumerRecord::key, r -> DeadLetters.header(r.headers(), DeadLetters.REASON)));
            assertThat(reasons).isEqualTo(expectedReasons);
            for (ConsumerRecord<String, byte[]> r : dead.values()) {
                assertThat(r.value())
                        .as("dead letter %s is the original bytes", r.key())
                        .isEqualTo(sent.get(r.key()));
                assertThat(DeadLetters.header(r.headers(), DeadLetters.MESSAGE)).isNotBlank();
                assertThat(DeadLetters.header(r.headers(), DeadLetters.OFFSET)).isNotBlank();
                assertThat(DeadLetters.header(r.headers(), DeadLetters.CONSUMER))
                        .isEqualTo(group);
                assertThat(DeadLetters.header(r.headers(), "origin")).isEqualTo("dead-letter-it");
            }
            assertThat(DeadLetters.header(dead.get("unknown-id").headers(), DeadLetters.MESSAGE))
                    .contains("987654321");
        } finally {
            dltProducer.close();
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Endpoints endpoints, String topic) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, "it-offsets"))) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            return c.endOffsets(tps);
        }
    }
}
