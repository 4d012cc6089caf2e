package io.vmflow.runtime.kafka;

import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every partition of one topic (or of every topic a pattern matches, such as every host's
 * reports: topics that appear later are found within seconds and read from their start) on a thread
 * of its own, without a consumer group (each reader
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
        /**
         * Near the end of each partition, for topics where the last record a partition's handler
         * accepts says everything there is to know (a host's state topic): the tail starts a few
         * offsets before each partition's end and steps back, doubling the distance, while what it read
         * of a partition holds no record the handlers accepted. A start then costs the same whatever
         * the length of the history the broker has not compacted yet.
         */
        LAST,
        END
    }

    /** How far before a partition's end a tail {@link From#LAST} starts (records, transaction markers). */
    static final long LAST_WINDOW = 4;

    private final String name;
    private final KafkaConsumer<String, byte[]> consumer;
    private final BiConsumer<ConsumerRecord<String, byte[]>, V> onValue;
    private final Consumer<ConsumerRecord<String, byte[]>> onTombstone;
    private final DeadLetters deadLetters;
    private final Loops.Loop loop;
    private final RecordDecoding<V> decoding;
    private final Thread thread;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Set<TopicPartition> tps = new LinkedHashSet<>();
    private final Map<TopicPartition, Long> end = new HashMap<>();
    /** For a tail from LAST: where each partition with no accepted record yet was last read from. */
    private final Map<TopicPartition, Long> lookBackFrom = new HashMap<>();
    /** For a tail from LAST: where each partition begins (how far back it can look). */
    private final Map<TopicPartition, Long> begin = new HashMap<>();
    /** The family of topics followed, or null when the tail follows one topic. */
    private final Pattern topics;

    private final Map<String, Boolean> compactedByTopic = new HashMap<>();
    private long nextDiscovery;
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
        this(
                name,
                endpoints,
                topic,
                null,
                from,
                wire,
                type,
                onValue,
                r -> onTombstone.accept(r.key()),
                loops,
                deadLetters);
    }

    /**
     * A tail of every topic the pattern matches (e.g. {@code TopicCatalogue.everyHost(...)}); its
     * tombstone handler gets the record, to tell which topic the tombstone is on.
     */
    public TopicTail(
            String name,
            Endpoints endpoints,
            Pattern topics,
            From from,
            WireFormat wire,
            Class<V> type,
            BiConsumer<ConsumerRecord<String, byte[]>, V> onValue,
            Consumer<ConsumerRecord<String, byte[]>> onTombstone,
            Loops loops,
            DeadLetters deadLetters) {
        this(name, endpoints, null, topics, from, wire, type, onValue, onTombstone, loops, deadLetters);
    }

    private TopicTail(
            String name,
            Endpoints endpoints,
            String onlyTopic,
            Pattern topics,
            From from,
            WireFormat wire,
            Class<V> type,
            BiConsumer<ConsumerRecord<String, byte[]>, V> onValue,
            Consumer<ConsumerRecord<String, byte[]>> onTombstone,
            Loops loops,
            DeadLetters deadLetters) {
        this.name = name;
        this.onValue = onValue;
        this.onTombstone = onTombstone;
        this.deadLetters = deadLetters;
        this.topics = topics;
        this.consumer = new KafkaConsumer<>(endpoints.consumer(null, name));
        tps.addAll(onlyTopic != null ? partitionsOf(consumer, onlyTopic) : partitionsOf(consumer, topics));
        consumer.assign(tps);
        if (from == From.BEGINNING) {
            consumer.seekToBeginning(tps);
        } else {
            consumer.seekToEnd(tps);
        }
        tps.forEach(consumer::position); // fix the starting point now, before the caller acts
        end.putAll(consumer.endOffsets(tps));
        if (from == From.LAST) {
            begin.putAll(consumer.beginningOffsets(tps));
            for (TopicPartition tp : tps) {
                long start = Math.max(begin.get(tp), end.get(tp) - LAST_WINDOW);
                consumer.seek(tp, start);
                lookBackFrom.put(tp, start);
            }
        }
        nextDiscovery = System.nanoTime() + DISCOVERY_NANOS;
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
                        if (handle(r) && !lookBackFrom.isEmpty()) {
                            lookBackFrom.remove(new TopicPartition(r.topic(), r.partition()));
                        }
                    }
                    lookFurtherBack();
                    if (caughtUp.getCount() > 0
                            && tps.stream().allMatch(tp -> consumer.position(tp) >= end.getOrDefault(tp, 0L))) {
                        caughtUp.countDown();
                    }
                    probe();
                    discover();
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
     * For a tail from LAST: a partition read to its end without a record the handlers accepted is read
     * again from twice as far back (its beginning at most); what was skipped is skipped again.
     */
    private void lookFurtherBack() {
        if (lookBackFrom.isEmpty()) {
            return;
        }
        for (var it = lookBackFrom.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            TopicPartition tp = e.getKey();
            long from = e.getValue();
            long first = begin.get(tp);
            if (consumer.position(tp) < end.get(tp)) {
                continue; // still reading what it started at
            }
            if (from <= first) {
                it.remove(); // read from its beginning: nothing more to find
                continue;
            }
            long further = Math.max(first, end.get(tp) - 2 * (end.get(tp) - from));
            consumer.seek(tp, further);
            e.setValue(further);
        }
    }

    private static final long DISCOVERY_NANOS = 5_000_000_000L;

    /**
     * Every 5 s, for a pattern: whether topics matching it appeared (a host joined); they are followed
     * from their start, since everything in a topic born after the tail started is news.
     */
    private void discover() {
        if (topics == null || System.nanoTime() < nextDiscovery) {
            return;
        }
        nextDiscovery = System.nanoTime() + DISCOVERY_NANOS;
        List<TopicPartition> fresh = partitionsOf(consumer, topics).stream()
                .filter(tp -> !tps.contains(tp))
                .toList();
        if (fresh.isEmpty()) {
            return;
        }
        tps.addAll(fresh);
        consumer.assign(tps);
        consumer.seekToBeginning(fresh);
        fresh.forEach(tp -> end.put(tp, 0L));
        LOG.info("{}: following {} more partition(s) of {}", name, fresh.size(), topics.pattern());
    }

    /** Every partition of one topic. */
    private static List<TopicPartition> partitionsOf(KafkaConsumer<String, byte[]> c, String topic) {
        return c.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
    }

    /** Every partition of every topic the pattern matches. */
    private static List<TopicPartition> partitionsOf(KafkaConsumer<String, byte[]> c, Pattern topics) {
        List<TopicPartition> all = new java.util.ArrayList<>();
        c.listTopics(Duration.ofSeconds(30)).forEach((topic, infos) -> {
            if (topics.matcher(topic).matches()) {
                infos.forEach(i -> all.add(new TopicPartition(topic, i.partition())));
            }
        });
        return all;
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

    /** Hands a record over; whether a handler accepted it (false: skipped, or nothing to hand over). */
    private boolean handle(ConsumerRecord<String, byte[]> r) {
        boolean compacted = compactedByTopic.computeIfAbsent(
                r.topic(), t -> TopicCatalogue.byName(t).map(Topic::isCompacted).orElse(false));
        if (r.value() == null && compacted) {
            return handOver(r, () -> onTombstone.accept(r));
        }
        RecordDecoding.Result<V> decoded = decoding.decode(r, () -> running);
        if (decoded.refused()) {
            skip(r, decoded.code(), decoded.message(), decoded.cause());
            return false;
        }
        V value = decoded.value();
        return value != null && handOver(r, () -> onValue.accept(r, value));
    }

    private boolean handOver(ConsumerRecord<String, byte[]> r, Runnable handler) {
        try {
            handler.run();
            return true;
        } catch (InvalidRecordException e) {
            skip(r, e.code(), e.getMessage(), e);
        } catch (RuntimeException e) {
            LOG.error("{}: handler failed on {}-{}@{}", name, r.topic(), r.partition(), r.offset(), e);
            skip(r, ReasonCode.PROCESSING_FAILED.name(), e.toString(), e);
        }
        return false;
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
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, clientId));
        try {
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    handler.accept(r);
                }
            }
        } finally {
            closeAtOnce(c);
        }
    }

    /**
     * Closes a consumer that belongs to no group at once: it has no offsets to commit and no group to
     * leave, and a default close waits out its pending fetch (half a second of every CLI command).
     */
    private static void closeAtOnce(KafkaConsumer<String, byte[]> c) {
        c.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
    }

    /** Every partition of a topic. */
    public static List<TopicPartition> partitions(Endpoints endpoints, String clientId, String topic) {
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, clientId));
        try {
            return partitionsOf(c, topic);
        } finally {
            closeAtOnce(c);
        }
    }

    /** Every partition of every topic a pattern matches (e.g. every host's reports). */
    public static List<TopicPartition> partitions(Endpoints endpoints, String clientId, Pattern topics) {
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, clientId));
        try {
            return partitionsOf(c, topics);
        } finally {
            closeAtOnce(c);
        }
    }
}
