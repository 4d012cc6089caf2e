package io.vmflow.schemas.topics;

import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * One topic of the catalogue: its name, partitions, broker-side configuration and the types of its
 * records. Keys are UTF-8 strings (a migration id, a host id...); values are Avro in the Confluent
 * wire format under the subject {@code <name>-value}, or raw bytes for the dead-letter topic.
 *
 * @param name        the topic's name
 * @param partitions  partition count at creation
 * @param config      broker-side topic configuration (retention, cleanup policy...)
 * @param key         what the key holds, for people and the docs
 * @param valueType   the Avro class of the values, or {@code null} for raw bytes
 * @param writer      the one kind of writer this topic has (DESIGN.md: "each topic has one kind of writer")
 */
public record Topic(
        String name,
        int partitions,
        Map<String, String> config,
        String key,
        Class<? extends SpecificRecord> valueType,
        String writer) {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(writer, "writer");
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions must be at least 1");
        }
        config = Map.copyOf(config);
    }

    /** The schema-registry subject of the values (Confluent's TopicNameStrategy). */
    /** Whether the topic is compacted, so that a null value is a tombstone rather than a bad record. */
    public boolean isCompacted() {
        return "compact".equals(config.get("cleanup.policy"));
    }

    public String valueSubject() {
        return name + "-value";
    }

    /** The Avro schema of the values, or {@code null} when the topic carries raw bytes. */
    public Schema valueSchema() {
        if (valueType == null) {
            return null;
        }
        try {
            return (Schema) valueType.getField("SCHEMA$").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("generated class " + valueType.getName() + " has no SCHEMA$", e);
        }
    }
}
