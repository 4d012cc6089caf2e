package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.MigrationRequest;
import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.SampleRecords;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** Where a tail starts: the beginning, the end, or the last N offsets of each partition. */
class TopicTailIT {

    @Test
    void aTailFromTheLastOffsetsReadsOnlyThoseAndOneLongerThanThePartitionReadsAll() throws Exception {
        Endpoints endpoints = RealStack.endpoints();
        WireFormat wire = new WireFormat(RealStack.registry());
        String topic = RealStack.scratchTopic("tail");
        byte[] value = wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), SampleRecords.request());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("it-tail-feed"))) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "r" + i, value)).get();
            }
        }

        assertThat(keysRead(endpoints, wire, topic, TopicTail.From.last(3))).containsExactly("r7", "r8", "r9");
        assertThat(keysRead(endpoints, wire, topic, TopicTail.From.last(1_000))).hasSize(10);
        assertThat(keysRead(endpoints, wire, topic, TopicTail.From.BEGINNING)).hasSize(10);
        assertThat(keysRead(endpoints, wire, topic, TopicTail.From.END)).isEmpty();
    }

    private static List<String> keysRead(Endpoints endpoints, WireFormat wire, String topic, TopicTail.From from)
            throws InterruptedException {
        List<String> keys = new CopyOnWriteArrayList<>();
        try (TopicTail<MigrationRequest> tail = new TopicTail<>(
                        "it-tail",
                        endpoints,
                        topic,
                        from,
                        wire,
                        MigrationRequest.class,
                        (r, v) -> keys.add(r.key()),
                        k -> {})
                .start()) {
            assertThat(tail.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
        }
        return List.copyOf(keys);
    }
}
