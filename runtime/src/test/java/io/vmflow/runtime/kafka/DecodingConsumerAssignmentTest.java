package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.avro.HostCommand;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.runtime.serde.WireFormat;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A consumer is ready when the group has given it partitions, not when it subscribed: between the two
 * it reads nothing, and a process killed in that gap holds its group until the session expires (the
 * crash matrix's stalled round). Kafka's own in-memory consumer stands in for the group here; the
 * agents' and relays' ITs run the real broker.
 */
class DecodingConsumerAssignmentTest {

    @Test
    void saysItConsumesOnceThePartitionsAreAssignedAndOnlyOnce() {
        MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
        MockProducer<String, byte[]> producer =
                new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        AtomicInteger told = new AtomicInteger();
        DecodingConsumer<HostCommand> decoding = new DecodingConsumer<>(
                        "commands",
                        consumer,
                        List.of("vmflow.host-commands.hostA"),
                        new WireFormat(new SchemaRegistryClient("http://127.0.0.1:1")),
                        HostCommand.class,
                        (raw, value) -> {},
                        new DeadLetters(producer, "test"),
                        Loops.unsupervised("test"))
                .whenAssigned(told::incrementAndGet);
        try {
            decoding.start();
            assertThat(decoding.assigned()).as("subscribed, not yet assigned").isFalse();
            assertThat(DecodingConsumer.reading(decoding)).isFalse();
            assertThat(DecodingConsumer.describe(decoding)).isEqualTo("waiting for the group to assign them");
            assertThat(DecodingConsumer.describe(null)).isEqualTo("not started");

            TopicPartition p0 = new TopicPartition("vmflow.host-commands.hostA", 0);
            consumer.updateBeginningOffsets(Map.of(p0, 0L));
            consumer.schedulePollTask(() -> consumer.rebalance(List.of(p0)));
            await().atMost(Duration.ofSeconds(10)).until(decoding::assigned);
            assertThat(DecodingConsumer.reading(decoding)).isTrue();
            assertThat(DecodingConsumer.describe(decoding)).isEqualTo("consuming");

            TopicPartition p1 = new TopicPartition("vmflow.host-commands.hostA", 1);
            consumer.updateBeginningOffsets(Map.of(p1, 0L));
            consumer.schedulePollTask(() -> consumer.rebalance(List.of(p0, p1)));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> consumer.assignment().contains(p1));
            assertThat(told).as("told once, at the first assignment").hasValue(1);
        } finally {
            decoding.close();
        }
    }
}
