package io.vmflow.runtime.serde;

import io.vmflow.runtime.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serializer writing the Confluent wire format, with the schema registered under
 * {@code <topic>-value} (or {@code -key}). Configure it with {@code schema.registry.url}, or build it
 * with a shared {@link SchemaRegistryClient} (Kafka does not call {@code configure} on instances
 * passed to a producer's constructor).
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private WireFormat wire;
    private boolean isKey;

    /** For Kafka to instantiate by class name; {@link #configure} must follow. */
    public AvroSerializer() {}

    public AvroSerializer(SchemaRegistryClient registry) {
        this.wire = new WireFormat(registry);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (wire == null) {
            wire = new WireFormat(SerdeConfig.registry(configs));
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (wire == null) {
            throw new IllegalStateException("AvroSerializer used before configure(): set schema.registry.url");
        }
        return wire.encode(topic + (isKey ? "-key" : "-value"), data);
    }
}
