package io.vmflow.schemas.kafka;

import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer loop on its own thread that reads raw records, decodes them from the wire format, hands
 * them to a handler and commits, at least once. Nothing is dropped: a record that cannot be decoded,
 * that the handler refuses ({@link InvalidRecordException}) or that the handler fails on goes to the
 * dead-letter topic with the reason, and its offset is committed only once the dead letter is stored.
 * A registry outage is retried (the record is probably good) for a bounded time before dead-lettering.
 */
public final class DecodingConsumer<V extends SpecificRecord> implements AutoCloseable {

    /** What to do with each decoded record. */
    @FunctionalInterface
    public interface Handler<V> {
        void handle(ConsumerRecord<String, byte[]> raw, V value);
    }

    private static final Logger LOG = LoggerFactory.getLogger(DecodingConsumer.class);
    public static final String PROCESSING_FAILED = "PROCESSING_FAILED";

    private final Consumer<String, byte[]> consumer;
    private final WireFormat wire;
    private final Class<V> type;
    private final Handler<V> handler;
    private final DeadLetters deadLetters;
    private final Duration registryRetryBound;
    private final Thread thread;
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile boolean running = true;

    public DecodingConsumer(String name, Consumer<String, byte[]> consumer, Collection<String> topics,
            WireFormat wire, Class<V> type, Handler<V> handler, DeadLetters deadLetters,
            Duration registryRetryBound) {
        this.consumer = consumer;
        this.wire = wire;
        this.type = type;
        this.handler = handler;
        this.deadLetters = deadLetters;
        this.registryRetryBound = registryRetryBound;
        consumer.subscribe(List.copyOf(topics));
        this.thread = new Thread(this::run, name);
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
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(250));
                for (ConsumerRecord<String, byte[]> record : records) {
                    if (!running) {
                        return;
                    }
                    process(record);
                }
                if (!records.isEmpty()) {
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            consumer.close();
        }
    }

    private void process(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return; // a tombstone on a compacted topic: nothing to decode
        }
        V value;
        try {
            value = decodeRetryingRegistry(record);
        } catch (UndecodableRecordException e) {
            deadLetter(record, e.reason().name(), e.getMessage(), e);
            return;
        }
        try {
            handler.handle(record, value);
        } catch (InvalidRecordException e) {
            deadLetter(record, e.code(), e.getMessage(), e);
        } catch (RuntimeException e) {
            LOG.error("handler failed on {}-{}@{}; dead-lettering it", record.topic(), record.partition(),
                    record.offset(), e);
            deadLetter(record, PROCESSING_FAILED, e.toString(), e);
        }
    }

    private V decodeRetryingRegistry(ConsumerRecord<String, byte[]> record) {
        long deadline = System.nanoTime() + registryRetryBound.toNanos();
        long backoffMs = 250;
        while (true) {
            try {
                return wire.decode(record.value(), type);
            } catch (UndecodableRecordException e) {
                if (!e.isTransient() || System.nanoTime() > deadline || !running) {
                    throw e;
                }
                LOG.warn("schema registry unavailable decoding {}-{}@{}, retrying in {} ms: {}", record.topic(),
                        record.partition(), record.offset(), backoffMs, e.getMessage());
                sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 5000);
            }
        }
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, String code, String message, Throwable cause) {
        LOG.warn("dead-lettering {}-{}@{}: {} {}", record.topic(), record.partition(), record.offset(), code,
                message);
        Future<RecordMetadata> sent = deadLetters.send(record, code, message, cause);
        try {
            sent.get(30, TimeUnit.SECONDS);
            deadLettered.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dead-lettering; the offset stays uncommitted", e);
        } catch (ExecutionException | TimeoutException e) {
            // not committing the offset: the record will be read again rather than lost
            throw new IllegalStateException("could not store a dead letter for " + record.topic() + "-"
                    + record.partition() + "@" + record.offset() + "; stopping without committing it", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
