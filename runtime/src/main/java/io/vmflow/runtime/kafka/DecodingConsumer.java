package io.vmflow.runtime.kafka;

import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer loop on its own thread that reads raw records, decodes them from the wire format, hands
 * them to a handler and commits, at least once. Nothing is dropped and nothing stops it: a record that
 * cannot be decoded, that the handler refuses ({@link InvalidRecordException}) or that the handler
 * fails on goes to the dead-letter topic with the reason, and its offset is committed only once the
 * dead letter is stored. Outages are waited out, never blamed on a record: while the registry cannot
 * be reached the record is retried (it is probably good), and while the broker cannot take a dead
 * letter or a commit the loop retries, beating its {@link Loops.Loop} all the while. A loop that
 * fails anyway (a bug) is reported dead, which ends the process.
 */
public final class DecodingConsumer<V extends SpecificRecord> implements AutoCloseable {

    /** What to do with each decoded record. */
    @FunctionalInterface
    public interface Handler<V> {
        void handle(ConsumerRecord<String, byte[]> raw, V value);
    }

    private static final Logger LOG = LoggerFactory.getLogger(DecodingConsumer.class);
    private static final long MAX_BACKOFF_MS = 5000;

    private final Consumer<String, byte[]> consumer;
    private final Handler<V> handler;
    private final DeadLetters deadLetters;
    private final Loops.Loop loop;
    private final RecordDecoding<V> decoding;
    private final Thread thread;
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile boolean running = true;
    /** Whether the group has given this consumer its partitions (a subscription alone reads nothing). */
    private volatile boolean assigned;

    private volatile Runnable whenAssigned = () -> {};

    public DecodingConsumer(
            String name,
            Consumer<String, byte[]> consumer,
            Collection<String> topics,
            WireFormat wire,
            Class<V> type,
            Handler<V> handler,
            DeadLetters deadLetters,
            Loops loops) {
        this(name, consumer, (c, l) -> c.subscribe(List.copyOf(topics), l), wire, type, handler, deadLetters, loops);
    }

    /**
     * A consumer of every topic the pattern matches; topics created later join at the consumer's next
     * metadata refresh ({@code metadata.max.age.ms}) and are read from where the group left them, or
     * from their start.
     */
    public DecodingConsumer(
            String name,
            Consumer<String, byte[]> consumer,
            Pattern topics,
            WireFormat wire,
            Class<V> type,
            Handler<V> handler,
            DeadLetters deadLetters,
            Loops loops) {
        this(name, consumer, (c, l) -> c.subscribe(topics, l), wire, type, handler, deadLetters, loops);
    }

    private DecodingConsumer(
            String name,
            Consumer<String, byte[]> consumer,
            BiConsumer<Consumer<String, byte[]>, ConsumerRebalanceListener> subscription,
            WireFormat wire,
            Class<V> type,
            Handler<V> handler,
            DeadLetters deadLetters,
            Loops loops) {
        this.consumer = consumer;
        this.handler = handler;
        this.deadLetters = deadLetters;
        this.loop = loops.register(name);
        this.decoding = new RecordDecoding<>(name, wire, type, loop);
        subscription.accept(consumer, new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                if (!assigned) {
                    assigned = true;
                    whenAssigned.run();
                }
            }

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}
        });
        this.thread = new Thread(this::run, name);
    }

    /**
     * What to do (once, on the polling thread) when the group first assigns partitions: the moment this
     * consumer really reads. A member that joins takes a few round trips; one that dies while joining
     * holds the group until its session expires.
     */
    public DecodingConsumer<V> whenAssigned(Runnable action) {
        this.whenAssigned = action;
        return this;
    }

    /** Whether the group has assigned this consumer its partitions yet. */
    public boolean assigned() {
        return assigned;
    }

    /** For /ready: whether a consumer (null until started) reads, and what to say about it. */
    public static boolean reading(DecodingConsumer<?> c) {
        return c != null && c.assigned();
    }

    public static String describe(DecodingConsumer<?> c) {
        return c == null ? "not started" : c.assigned() ? "consuming" : "waiting for the group to assign them";
    }

    public DecodingConsumer<V> start() {
        thread.start();
        return this;
    }

    /** How many records this consumer has sent to the dead-letter topic. */
    public long deadLettered() {
        return deadLettered.get();
    }

    private void run() {
        try {
            while (running) {
                loop.beat();
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(250));
                for (ConsumerRecord<String, byte[]> record : records) {
                    if (!running) {
                        return;
                    }
                    process(record);
                }
                if (!records.isEmpty()) {
                    commit();
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

    /** Commits what was processed; a broker that cannot take it now gets it with the next batch. */
    private void commit() {
        try {
            consumer.commitSync(Duration.ofSeconds(30));
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            // a rebalance or an outage: the records are read again, and every handler is idempotent
            LOG.warn(
                    "could not commit offsets ({}); the records since the last commit will be read again",
                    e.toString());
        }
    }

    private void process(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null
                && TopicCatalogue.byName(record.topic()).map(Topic::isCompacted).orElse(false)) {
            return; // a tombstone on a compacted topic: nothing to decode
        }
        RecordDecoding.Result<V> decoded = decoding.decode(record, () -> running);
        if (decoded.refused()) {
            deadLetter(record, decoded.code(), decoded.message(), decoded.cause());
            return;
        }
        V value = decoded.value();
        if (value == null) {
            return; // closing while the registry was away: the record stays uncommitted
        }
        try {
            handler.handle(record, value);
        } catch (InvalidRecordException e) {
            deadLetter(record, e.code(), e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            LOG.error(
                    "handler failed on {}-{}@{}; dead-lettering it",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e);
            deadLetter(record, ReasonCode.PROCESSING_FAILED.name(), e.toString(), e);
        }
    }

    /** Stores a dead letter, retrying while the broker cannot take it: the offset moves only once it is stored. */
    private void deadLetter(ConsumerRecord<String, byte[]> record, String code, String message, Throwable cause) {
        LOG.warn("dead-lettering {}-{}@{}: {} {}", record.topic(), record.partition(), record.offset(), code, message);
        long backoffMs = 250;
        while (running) {
            Future<RecordMetadata> sent = deadLetters.send(record, code, message, cause);
            try {
                sent.get(30, TimeUnit.SECONDS);
                deadLettered.incrementAndGet();
                loop.note(null);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while dead-lettering; the offset stays uncommitted", e);
            } catch (ExecutionException | TimeoutException e) {
                loop.note("waiting for the broker to take a dead letter");
                LOG.warn(
                        "could not store a dead letter for {}-{}@{} ({}); retrying in {} ms",
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        e.getCause() == null ? e : e.getCause(),
                        backoffMs);
                if (!loop.pause(backoffMs, () -> running)) {
                    break;
                }
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
            }
        }
        // closing: the offset stays uncommitted, the record is read again after the restart
        throw new WakeupException();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
