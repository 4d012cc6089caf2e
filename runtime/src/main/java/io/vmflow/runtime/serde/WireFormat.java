package io.vmflow.runtime.serde;

import io.vmflow.runtime.registry.RegistryUnavailableException;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.runtime.registry.SchemaRegistryException;
import io.vmflow.schemas.topics.Topic;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Confluent wire format: magic byte 0, the schema's 4-byte big-endian registry id, then the Avro
 * binary encoding of the record. Any Confluent-compatible consumer reads what this writes, with only
 * the registry.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_LENGTH = 5;
    private static final String VMFLOW_NAMESPACE = "io.vmflow.avro";

    private static final Logger LOG = LoggerFactory.getLogger(WireFormat.class);

    private final SchemaRegistryClient registry;

    /**
     * Each thread's readers, by writer schema id: a reader resolves the writer's schema against the
     * class's once, when it is made (a new reader per record spent a tenth of the coordinator's CPU
     * resolving the same two schemas again). Per thread, as Avro does not promise a reader is safe to share.
     */
    private final ThreadLocal<Map<Integer, SpecificDatumReader<?>>> readers = ThreadLocal.withInitial(HashMap::new);

    public WireFormat(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    public SchemaRegistryClient registry() {
        return registry;
    }

    /**
     * Learns, at a service's start, the id of each topic's current schema (registering it when the
     * registry lacks it, as the first write would). From then on this service encodes those records, and
     * decodes records written with the same schemas, without asking the registry: a registry that dies
     * after the start stops nothing. A subject the registry cannot answer for now is left to its first use.
     *
     * @return the subjects that could not be primed, each with why
     */
    public List<String> prime(Collection<Topic> topics) {
        List<String> missed = new ArrayList<>();
        for (Topic t : topics) {
            if (t.valueSchema() == null) {
                continue;
            }
            try {
                registry.register(t.valueSubject(), t.valueSchema());
            } catch (RuntimeException e) {
                missed.add(t.valueSubject() + " (" + e.getMessage() + ")");
            }
        }
        if (!missed.isEmpty()) {
            LOG.warn("schemas not learnt at start (looked up at first use instead): {}", missed);
        }
        return missed;
    }

    /** Encodes a record, registering its schema under the subject when it is not registered yet. */
    public byte[] encode(String subject, SpecificRecord record) {
        Schema schema = record.getSchema();
        int id = registry.register(subject, schema);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            new SpecificDatumWriter<SpecificRecord>(schema).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The schema id in a record's header, without decoding the body. */
    public static int schemaId(byte[] bytes) {
        if (bytes == null) {
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.NULL_VALUE, "the record has no value");
        }
        checkHeader(bytes);
        return ByteBuffer.wrap(bytes, 1, 4).getInt();
    }

    /**
     * Decodes a record into the generated class named by its writer's schema, resolving the writer's
     * schema (from the registry, by the id in the header) against the class's own.
     *
     * @param expected the class this topic carries, or {@code null} to accept any generated class
     */
    public <T extends SpecificRecord> T decode(byte[] bytes, Class<T> expected) {
        int id = schemaId(bytes);
        Schema writer;
        try {
            writer = registry.schemaById(id);
        } catch (RegistryUnavailableException e) {
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.REGISTRY_UNAVAILABLE, id, e.getMessage(), e);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                throw new UndecodableRecordException(
                        UndecodableRecordException.Reason.UNKNOWN_SCHEMA_ID,
                        id,
                        "schema id " + id + " is not in the registry at " + registry.baseUrl(),
                        e);
            }
            if (e.status() == SchemaRegistryClient.UNUSABLE) {
                throw new UndecodableRecordException(
                        UndecodableRecordException.Reason.NOT_AN_AVRO_SCHEMA, id, e.getMessage(), e);
            }
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.UNKNOWN_SCHEMA_ID,
                    id,
                    "registry refused schema id " + id + ": " + e.getMessage(),
                    e);
        }
        // only vmflow's own generated classes are ever looked up: a writer's schema may name any class
        boolean ours = writer.getType() == Schema.Type.RECORD && VMFLOW_NAMESPACE.equals(writer.getNamespace());
        Class<?> type = ours ? SpecificData.get().getClass(writer) : null;
        if (type == null || !SpecificRecord.class.isAssignableFrom(type)) {
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.UNKNOWN_RECORD_TYPE,
                    id,
                    "schema id " + id + " is "
                            + (writer.getType() == Schema.Type.RECORD
                                    ? writer.getFullName()
                                    : "a " + writer.getType().getName() + " schema")
                            + ", which this program has no class for",
                    null);
        }
        if (expected != null && !expected.equals(type)) {
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.WRONG_RECORD_TYPE,
                    id,
                    "expected " + expected.getName() + " but schema id " + id + " is " + writer.getFullName(),
                    null);
        }
        Schema reader = SpecificData.get().getSchema(type);
        try {
            // Avro's reader allocates whatever a length or count prefix claims: check them first
            AvroBounds.check(writer, bytes, HEADER_LENGTH);
        } catch (IllegalArgumentException e) {
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.MALFORMED_AVRO,
                    id,
                    "body is not a valid " + writer.getFullName() + ": " + e.getMessage(),
                    null);
        }
        BinaryDecoder decoder =
                DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, null);
        try {
            @SuppressWarnings("unchecked")
            T record = (T) reader(id, writer, reader).read(null, decoder);
            if (!decoder.isEnd()) {
                throw new UndecodableRecordException(
                        UndecodableRecordException.Reason.MALFORMED_AVRO,
                        id,
                        "bytes left over after a whole " + writer.getFullName(),
                        null);
            }
            return record;
        } catch (UndecodableRecordException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // values the bounds cannot see (an unresolvable writer schema, a bad default): still this record's fault
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.MALFORMED_AVRO,
                    id,
                    "body is not a valid " + writer.getFullName() + ": " + e,
                    e);
        }
    }

    private SpecificDatumReader<?> reader(int id, Schema writer, Schema reader) {
        Map<Integer, SpecificDatumReader<?>> mine = readers.get();
        SpecificDatumReader<?> r = mine.get(id);
        if (r == null || r.getSchema() != writer || r.getExpected() != reader) {
            r = new SpecificDatumReader<>(writer, reader);
            mine.put(id, r);
        }
        return r;
    }

    private static void checkHeader(byte[] bytes) {
        if (bytes.length < HEADER_LENGTH) {
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.TRUNCATED,
                    bytes.length + " bytes, shorter than the 5-byte wire-format header");
        }
        if (bytes[0] != MAGIC_BYTE) {
            throw new UndecodableRecordException(
                    UndecodableRecordException.Reason.BAD_MAGIC_BYTE,
                    String.format("first byte is 0x%02x, not the wire format's magic byte 0x00", bytes[0]));
        }
    }
}
