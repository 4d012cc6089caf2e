package io.vmflow.runtime.kafka;

import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record that could not be decoded or validated to the dead-letter topic, byte for byte as it
 * was, with its original headers and the reason in {@code vmflow.dlt.*} headers (after Kafka Connect's
 * {@code __connect.errors.*}): reason code, message, where it came from and who gave up on it.
 */
public final class DeadLetters {

    public static final String REASON = "vmflow.dlt.reason";
    public static final String MESSAGE = "vmflow.dlt.message";
    public static final String TOPIC = "vmflow.dlt.topic";
    public static final String PARTITION = "vmflow.dlt.partition";
    public static final String OFFSET = "vmflow.dlt.offset";
    public static final String CONSUMER = "vmflow.dlt.consumer";
    public static final String EXCEPTION = "vmflow.dlt.exception";
    public static final String AT = "vmflow.dlt.at";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    private final Producer<String, byte[]> producer;
    private final String consumerName;

    /**
     * @param producer     a producer of string keys and byte values (see {@link Endpoints#producer})
     * @param consumerName the consumer that gives up on records (its group id or service name)
     */
    public DeadLetters(Producer<String, byte[]> producer, String consumerName) {
        this.producer = producer;
        this.consumerName = consumerName;
    }

    /** Dead-letters a consumed record; the returned future completes when the broker has it. */
    public Future<RecordMetadata> send(
            ConsumerRecord<String, byte[]> record, String reasonCode, String message, Throwable cause) {
        return producer.send(record(record, reasonCode, message, cause, consumerName));
    }

    /**
     * Dead-letters a record without waiting, for readers that commit nothing (a tail): a failure to
     * store it is logged with the record's coordinates, so it can be found on its topic.
     */
    public void sendLogged(ConsumerRecord<String, byte[]> record, String reasonCode, String message, Throwable cause) {
        producer.send(record(record, reasonCode, message, cause, consumerName), (md, e) -> {
            if (e != null) {
                LOG.error(
                        "could not dead-letter {}-{}@{} ({} {}): {}",
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        reasonCode,
                        message,
                        e.toString());
            }
        });
    }

    /** The dead-letter record for a consumed record (for callers that send it in their own transaction). */
    public static ProducerRecord<String, byte[]> record(
            ConsumerRecord<String, byte[]> record,
            String reasonCode,
            String message,
            Throwable cause,
            String consumerName) {
        ProducerRecord<String, byte[]> out =
                new ProducerRecord<>(TopicCatalogue.DEAD_LETTER.name(), null, record.key(), record.value());
        for (Header h : record.headers()) {
            out.headers().add(h);
        }
        Headers headers = out.headers();
        put(headers, REASON, reasonCode);
        put(headers, MESSAGE, message);
        put(headers, TOPIC, record.topic());
        put(headers, PARTITION, Integer.toString(record.partition()));
        put(headers, OFFSET, Long.toString(record.offset()));
        put(headers, CONSUMER, consumerName);
        if (cause != null) {
            put(headers, EXCEPTION, cause.getClass().getName());
        }
        put(headers, AT, Instant.now().toString());
        return out;
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
    }

    /** A header's value as text, or {@code null} when absent. */
    public static String header(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
