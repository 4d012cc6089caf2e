package io.vmflow.ops.bench;

import io.vmflow.runtime.kafka.Endpoints;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The ceiling the coordinator is compared with: Kafka's own transactional consume-transform-produce on
 * the same broker, with nothing but Kafka in the loop. Inputs the size of a host report; per input an
 * output the size of a migration event and one the size of a snapshot; one transaction per poll,
 * the consumed offsets committed in it, as the coordinator does.
 */
final class RawKafkaCeiling {

    static final int REPORT_BYTES = 300;
    static final int EVENT_BYTES = 600;
    static final int SNAPSHOT_BYTES = 1200;

    private RawKafkaCeiling() {}

    /** Records in per second over {@code count} inputs. */
    static double measure(Endpoints endpoints, int count) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String in = "vmflow.bench.raw-in." + run;
        String out = "vmflow.bench.raw-out." + run;
        try (Admin admin = Admin.create(endpoints.admin())) {
            admin.createTopics(List.of(new NewTopic(in, 3, (short) 1), new NewTopic(out, 3, (short) 1)))
                    .all()
                    .get();
            try {
                try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(endpoints.producer("bench-raw-feed"))) {
                    for (int i = 0; i < count; i++) {
                        p.send(new ProducerRecord<>(in, "m-" + (i % 1000), new byte[REPORT_BYTES]));
                    }
                }
                return loop(endpoints, in, out, count);
            } finally {
                admin.deleteTopics(List.of(in, out)).all().get();
            }
        }
    }

    private static double loop(Endpoints endpoints, String in, String out, int count) {
        Properties c = endpoints.consumer("bench-raw-" + in, "bench-raw");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Properties p = endpoints.transactionalProducer("bench-raw", "bench-raw-" + in);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c);
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            consumer.subscribe(List.of(in));
            byte[] event = new byte[EVENT_BYTES];
            byte[] snapshot = new byte[SNAPSHOT_BYTES];
            int done = 0;
            long start = 0;
            while (done < count) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                if (start == 0) {
                    start = System.nanoTime();
                }
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<String, byte[]> r : records) {
                    producer.send(new ProducerRecord<>(out, r.key(), event));
                    producer.send(new ProducerRecord<>(out, r.key(), snapshot));
                    offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    done++;
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
            }
            return done / ((System.nanoTime() - start) / 1e9);
        }
    }
}
