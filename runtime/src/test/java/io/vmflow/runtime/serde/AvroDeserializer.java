package io.vmflow.runtime.serde;

import io.vmflow.runtime.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka deserializer reading the Confluent wire format into vmflow's generated classes. Bad input
 * raises {@link UndecodableRecordException} with a specific reason. Inside a Kafka consumer that
 * surfaces as a {@code RecordDeserializationException} from {@code poll}; vmflow's own consumers
 * read bytes and decode with {@link WireFormat} instead, so a bad record can be dead-lettered whole.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private WireFormat wire;
    private Class<T> expected;

    /** For Kafka to instantiate by class name; {@link #configure} must follow. */
    public AvroDeserializer() {}

    public AvroDeserializer(SchemaRegistryClient registry, Class<T> expected) {
        this.wire = new WireFormat(registry);
        this.expected = expected;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (wire == null) {
            wire = new WireFormat(SerdeConfig.registry(configs));
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (wire == null) {
            throw new IllegalStateException("AvroDeserializer used before configure(): set schema.registry.url");
        }
        return wire.decode(data, expected);
    }
}
