package io.vmflow.runtime.kafka;

import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every partition of one topic on a thread of its own, without a consumer group (each reader
 * sees everything), from the beginning (to rebuild a view, e.g. of a compacted topic) or from the end
 * (to hear only what comes after it started). Decoded values go to a handler; tombstones to another.
 * A record that cannot be decoded, or that the handler fails on, is skipped with a warning; a tail
 * given {@link DeadLetters} also dead-letters it, when it arrives after the tail started (what was
 * there before was dead-lettered by whoever read it live, so a restart does not repeat it). An outage of the broker is waited out,
 * one of the registry retried; the tail beats its {@link Loops.Loop} and dies only of a bug.
 */
public final class TopicTail<V extends SpecificRecord> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);

    /** Where a tail starts. */
    public enum From {
        BEGINNING,
        END
    }

    private final String name;
    private final KafkaConsumer<String, byte[]> consumer;
    private final BiConsumer<ConsumerRecord<String, byte[]>, V> onValue;
    private final Consumer<String> onTombstone;
    private final DeadLetters deadLetters;
    private final boolean compacted;
    private final Loops.Loop loop;
    private final RecordDecoding<V> decoding;
    private final Thread thread;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final List<TopicPartition> tps;
    private final Map<TopicPartition, Long> end;
    private volatile boolean running = true;
    /** Since when the broker has answered without a break (null: it does not answer now). */
    private volatile Instant reachableSince;
    /** The last time everything written to the topic before then had been handed over. */
    private volatile Instant caughtUpAt;

    private long nextProbe;
    private volatile boolean probing;

    /** A tail for a tool or a test: it dead-letters nothing and its death ends nothing but itself. */
    public TopicTail(
            String name,
            Endpoints endpoints,
            String topic,
            From from,
            WireFormat wire,
            Class<V> type,
            BiConsumer<ConsumerRecord<String, byte[]>, V> onValue,
            Consumer<String> onTombstone) {
        this(name, endpoints, topic, from, wire, type, onValue, onTombstone, Loops.unsupervised(name), null);
    }

    /**
     * @param deadLetters where this tail dead-letters what it cannot read, or {@code null} when another
     *                    reader of the topic owns that duty
     */
    public TopicTail(
            String name,
            Endpoints endpoints,
            String topic,
            From from,
            WireFormat wire,
            Class<V> type,
            BiConsumer<ConsumerRecord<String, byte[]>, V> onValue,
            Consumer<String> onTombstone,
            Loops loops,
            DeadLetters deadLetters) {
        this.name = name;
        this.onValue = onValue;
        this.onTombstone = onTombstone;
        this.deadLetters = deadLetters;
        this.compacted = TopicCatalogue.byName(topic).map(Topic::isCompacted).orElse(false);
        this.consumer = new KafkaConsumer<>(endpoints.consumer(null, name));
        this.tps = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(tps);
        if (from == From.BEGINNING) {
            consumer.seekToBeginning(tps);
        } else {
            consumer.seekToEnd(tps);
        }
        tps.forEach(consumer::position); // fix the starting point now, before the caller acts
        this.end = consumer.endOffsets(tps);
        this.loop = loops.register(name);
        this.decoding = new RecordDecoding<>(name, wire, type, loop);
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    private void run() {
        try {
            while (running) {
                loop.beat();
                try {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        handle(r);
                    }
                    if (caughtUp.getCount() > 0 && tps.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                        caughtUp.countDown();
                    }
                    probe();
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    // the broker away: poll again, Kafka's client reconnects on its own
                    LOG.warn("{}: {}; retrying", name, e.toString());
                    loop.pause(1000, () -> running);
                }
            }
        } catch (RuntimeException | Error e) {
            if (running) { // a wakeup or any failure while told to stop is the stop itself
                loop.died(e);
            }
        } finally {
            loop.stopped();
            consumer.close();
        }
    }

    /**
     * Once a second, asks the broker where the topic ends: whether it answers, and whether this tail
     * has handed over everything up to there. A reader that must tell "nothing was written" from "the
     * broker could not be asked" (the lease watch) reads both.
     */
    private void probe() {
        if (!probing || System.nanoTime() < nextProbe) {
            return;
        }
        nextProbe = System.nanoTime() + 1_000_000_000L;
        Instant asked = Instant.now();
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps, Duration.ofSeconds(1));
            if (reachableSince == null) {
                reachableSince = asked;
            }
            if (tps.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp))) {
                caughtUpAt = asked;
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            if (reachableSince != null) {
                LOG.warn("{}: the broker does not answer", name);
            }
            reachableSince = null;
        }
    }

    /**
     * Makes this tail ask the broker once a second where the topic ends (one ListOffsets request), for
     * {@link #reachableSince()} and {@link #caughtUpAt()}; tails nobody asks that of do not probe.
     */
    public TopicTail<V> probingTheBroker() {
        probing = true;
        return this;
    }

    /** Since when the broker has answered this tail without a break, or null while it does not. */
    public Instant reachableSince() {
        return reachableSince;
    }

    /** When this tail last had everything written to its topic before that moment, or null. */
    public Instant caughtUpAt() {
        return caughtUpAt;
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null && compacted) {
            onTombstone.accept(r.key());
            return;
        }
        RecordDecoding.Result<V> decoded = decoding.decode(r, () -> running);
        if (decoded.refused()) {
            skip(r, decoded.code(), decoded.message(), decoded.cause());
            return;
        }
        V value = decoded.value();
        if (value == null) {
            return;
        }
        try {
            onValue.accept(r, value);
        } catch (RuntimeException e) {
            LOG.error("{}: handler failed on {}-{}@{}", name, r.topic(), r.partition(), r.offset(), e);
            skip(r, ReasonCode.PROCESSING_FAILED.name(), e.toString(), e);
        }
    }

    private void skip(ConsumerRecord<String, byte[]> r, String code, String message, Throwable cause) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        boolean live = r.offset() >= end.getOrDefault(tp, 0L);
        if (deadLetters == null || !live) {
            LOG.warn("{}: skipping {}-{}@{}: {} {}", name, r.topic(), r.partition(), r.offset(), code, message);
            return;
        }
        LOG.warn("{}: dead-lettering {}-{}@{}: {} {}", name, r.topic(), r.partition(), r.offset(), code, message);
        deadLetters.sendLogged(r, code, message, cause);
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
    public static void readToEnd(
            Endpoints endpoints,
            String clientId,
            List<TopicPartition> partitions,
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
            return c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
        }
    }
}
