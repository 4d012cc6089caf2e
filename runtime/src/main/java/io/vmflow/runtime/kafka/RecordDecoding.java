package io.vmflow.runtime.kafka;

import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import java.util.function.BooleanSupplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a consuming loop turns a record into a value: while the registry cannot be reached the record
 * is retried (it is probably good; the loop beats and says what it waits for); anything else wrong
 * with the bytes is a refusal with its reason code, for the dead-letter topic. Shared by
 * {@link DecodingConsumer} and {@link TopicTail}.
 */
final class RecordDecoding<V extends SpecificRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(RecordDecoding.class);

    /** A value, or why there is none; neither when the loop was told to stop while it waited. */
    record Result<V>(V value, String code, String message, Throwable cause) {
        boolean refused() {
            return code != null;
        }
    }

    private final String name;
    private final WireFormat wire;
    private final Class<V> type;
    private final Loops.Loop loop;

    RecordDecoding(String name, WireFormat wire, Class<V> type, Loops.Loop loop) {
        this.name = name;
        this.wire = wire;
        this.type = type;
        this.loop = loop;
    }

    Result<V> decode(ConsumerRecord<String, byte[]> r, BooleanSupplier running) {
        long backoffMs = 250;
        while (running.getAsBoolean()) {
            try {
                V value = wire.decode(r.value(), type);
                loop.note(null);
                return new Result<>(value, null, null, null);
            } catch (UndecodableRecordException e) {
                if (!e.isTransient()) {
                    return new Result<>(null, e.reason().name(), e.getMessage(), e);
                }
                loop.note("waiting for the schema registry");
                LOG.warn(
                        "{}: schema registry unavailable decoding {}-{}@{}, retrying in {} ms: {}",
                        name,
                        r.topic(),
                        r.partition(),
                        r.offset(),
                        backoffMs,
                        e.getMessage());
                if (!loop.pause(backoffMs, running)) {
                    break;
                }
                backoffMs = Math.min(backoffMs * 2, 5000);
            } catch (RuntimeException | StackOverflowError e) {
                // whatever the checks before Avro's reader did not foresee: still this record's fault
                return new Result<>(null, UndecodableRecordException.Reason.MALFORMED_AVRO.name(), e.toString(), e);
            }
        }
        return new Result<>(null, null, null, null);
    }
}
