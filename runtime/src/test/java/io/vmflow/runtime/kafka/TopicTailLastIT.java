package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.MigrationRequest;
import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.SampleRecords;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * A tail from {@link TopicTail.From#LAST} hands over a partition's last accepted record without
 * reading its whole history, and steps back over an end that holds nothing it can accept.
 */
class TopicTailLastIT {

    private final Endpoints endpoints = RealStack.endpoints();
    private final WireFormat wire = new WireFormat(RealStack.registry());
    private final String subject = TopicCatalogue.MIGRATION_REQUESTS.valueSubject();

    @Test
    void readsTheEndOfALongHistoryAndStepsBackOverRecordsItCannotAccept() throws Exception {
        String topic = RealStack.scratchTopic("last");
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(endpoints.producer("it-last"))) {
            for (int i = 1; i <= 200; i++) {
                send(p, topic, request("state-" + i));
            }
            // after the last good one: more undecodable records and refused ones than the first look covers
            for (int i = 0; i < 3 * TopicTail.LAST_WINDOW; i++) {
                p.send(new ProducerRecord<>(topic, "k", new byte[] {0, 0, 0, 0, 1, 2}))
                        .get();
                send(p, topic, request("refused-" + i));
            }
        }
        List<String> handed = tailFromLast(topic);
        assertThat(handed).isNotEmpty();
        assertThat(handed.get(handed.size() - 1)).as("the last one it accepted").isEqualTo("state-200");
        assertThat(handed)
                .as("what it read of the history before the end")
                .hasSizeLessThan(50)
                .allMatch(id -> id.startsWith("state-"));
    }

    @Test
    void readsAShortHistoryFromItsBeginningAndAnEmptyTopicAtOnce() throws Exception {
        String empty = RealStack.scratchTopic("last-empty");
        assertThat(tailFromLast(empty)).isEmpty();

        String topic = RealStack.scratchTopic("last-short");
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(endpoints.producer("it-last"))) {
            send(p, topic, request("state-1"));
            for (int i = 0; i < 2 * TopicTail.LAST_WINDOW; i++) {
                send(p, topic, request("refused-" + i));
            }
        }
        assertThat(tailFromLast(topic)).containsExactly("state-1");
    }

    private List<String> tailFromLast(String topic) throws InterruptedException {
        List<String> handed = new CopyOnWriteArrayList<>();
        try (TopicTail<MigrationRequest> tail = new TopicTail<>(
                        "it-tail-last",
                        endpoints,
                        topic,
                        TopicTail.From.LAST,
                        wire,
                        MigrationRequest.class,
                        (r, v) -> {
                            if (v.getRequestId().startsWith("refused-")) {
                                throw new InvalidRecordException(ReasonCode.INVALID_REQUEST, "refused by the test");
                            }
                            handed.add(v.getRequestId());
                        },
                        k -> {})
                .start()) {
            assertThat(tail.awaitCaughtUp(Duration.ofSeconds(60)))
                    .as("caught up")
                    .isTrue();
            return List.copyOf(handed);
        }
    }

    private MigrationRequest request(String id) {
        return MigrationRequest.newBuilder(SampleRecords.request())
                .setRequestId(id)
                .build();
    }

    private void send(KafkaProducer<String, byte[]> p, String topic, MigrationRequest r) throws Exception {
        p.send(new ProducerRecord<>(topic, "k", wire.encode(subject, r))).get();
    }
}
