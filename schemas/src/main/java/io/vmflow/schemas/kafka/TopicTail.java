package io.vmflow.schemas.kafka;

import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every partition of one topic on a thread of its own, without a consumer group (each reader
 * sees everything), from the beginning (to rebuild a view, e.g. of a compacted topic) or from the end
 * (to hear only what comes after it started). Decoded values go to a handler; tombstones to another;
 * undecodable records are skipped with a warning, since dead-lettering is the job of the topic's
 * owning consumer, not of its many readers.
 */
public final class TopicTail<V extends SpecificRecord> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);

    /** Where a tail starts. */
    public enum From { BEGINNING, END }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running = true;

    public TopicTail(String name, Endpoints endpoints, String topic, From from, WireFormat wire, Class<V> type,
            BiConsumer<ConsumerRecord<String, byte[]>, V> onValue, Consumer<String> onTombstone) {
        this.consumer = new KafkaConsumer<>(endpoints.consumer(null, name));
        List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(tps);
        if (from == From.BEGINNING) {
            consumer.seekToBeginning(tps);
        } else {
            consumer.seekToEnd(tps);
        }
        tps.forEach(consumer::position); // fix the starting point now, before the caller acts
        Map<TopicPartition, Long> end = consumer.endOffsets(tps);
        this.thread = new Thread(() -> {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.value() == null) {
                            onTombstone.accept(r.key());
                            continue;
                        }
                        try {
                            onValue.accept(r, wire.decode(r.value(), type));
                        } catch (UndecodableRecordException e) {
                            LOG.warn("{}: skipping undecodable {}-{}@{}: {}", name, r.topic(), r.partition(),
                                    r.offset(), e.getMessage());
                        }
                    }
                    if (caughtUp.getCount() > 0 && tps.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                        caughtUp.countDown();
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }, name);
        thread.setDaemon(true);
    }

    public TopicTail<V> start() {
        thread.start();
        return this;
    }

    /** Waits until everything written before the start has been handed over. */
    public boolean awaitCaughtUp(Duration d) throws InterruptedException {
        return caughtUp.await(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads some partitions of a topic from the beginning up to where they end now, on the calling
     * thread (to rebuild state before acting). Null values (tombstones) are handed over as such.
     */
    public static void readToEnd(Endpoints endpoints, String clientId, List<TopicPartition> partitions,
            Consumer<ConsumerRecord<String, byte[]>> handler) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, clientId))) {
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    handler.accept(r);
                }
            }
        }
    }

    /** Every partition of a topic. */
    public static List<TopicPartition> partitions(Endpoints endpoints, String clientId, String topic) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, clientId))) {
            return c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        }
    }
}
