package io.vmflow.ops.cli;

import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * How the read commands read a topic: from its beginning to its end as of now, each value decoded.
 * A record that does not decode is reported to the caller, never thrown: the CLI reads, it does not
 * judge (the services dead-letter such records).
 */
final class LogReader<V extends SpecificRecord> {

    private final Endpoints endpoints;
    private final WireFormat wire;
    private final String clientId;
    private final Pattern topics;
    private final Class<V> type;

    LogReader(Endpoints endpoints, WireFormat wire, String clientId, String topic, Class<V> type) {
        this(endpoints, wire, clientId, Pattern.compile(Pattern.quote(topic)), type);
    }

    /** A reader of every topic a pattern matches (e.g. every host's state). */
    LogReader(Endpoints endpoints, WireFormat wire, String clientId, Pattern topics, Class<V> type) {
        this.endpoints = endpoints;
        this.wire = wire;
        this.clientId = clientId;
        this.topics = topics;
        this.type = type;
    }

    /** Every record with a value, in order per partition; tombstones are skipped. */
    void each(
            BiConsumer<ConsumerRecord<String, byte[]>, V> value,
            BiConsumer<ConsumerRecord<String, byte[]>, UndecodableRecordException> undecodable) {
        TopicTail.readToEnd(endpoints, clientId, TopicTail.partitions(endpoints, clientId, topics), r -> {
            if (r.value() == null) {
                return;
            }
            try {
                value.accept(r, wire.decode(r.value(), type));
            } catch (UndecodableRecordException e) {
                undecodable.accept(r, e);
            }
        });
    }

    /** The latest value of each key of a compacted topic (a tombstone removes its key). */
    Map<String, V> latest() {
        return latest(r -> true);
    }

    /** The same, of the records the filter keeps. */
    Map<String, V> latest(java.util.function.Predicate<ConsumerRecord<String, byte[]>> keep) {
        Map<String, V> latest = new HashMap<>();
        TopicTail.readToEnd(endpoints, clientId, TopicTail.partitions(endpoints, clientId, topics), r -> {
            if (!keep.test(r)) {
                return;
            }
            if (r.value() == null) {
                latest.remove(r.key());
                return;
            }
            try {
                latest.put(r.key(), wire.decode(r.value(), type));
            } catch (UndecodableRecordException e) {
                // an undecodable latest value: the key shows as it was before, if at all
            }
        });
        return latest;
    }

    /** Where a record is, for messages. */
    static String at(ConsumerRecord<?, ?> r) {
        return r.topic() + " " + r.partition() + "@" + r.offset();
    }
}
