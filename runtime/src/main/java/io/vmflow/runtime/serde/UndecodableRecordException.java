package io.vmflow.runtime.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that are not a vmflow record in the Confluent wire format. The {@link Reason} is a constant
 * that goes into the dead-letter record's headers; callers never drop such a record silently.
 */
public class UndecodableRecordException extends SerializationException {

    /** Why the bytes could not be decoded. */
    public enum Reason {
        /** No value at all (a null value on a topic that has no tombstones). */
        NULL_VALUE,
        /** Fewer than the 5 bytes of the wire-format header. */
        TRUNCATED,
        /** The first byte is not the wire format's magic byte 0. */
        BAD_MAGIC_BYTE,
        /** The registry does not know the schema id in the header. */
        UNKNOWN_SCHEMA_ID,
        /** The schema id names a schema that is not Avro, or not usable as one (JSON, Protobuf, oversized). */
        NOT_AN_AVRO_SCHEMA,
        /** The registry could not be reached; transient, so callers may retry before dead-lettering. */
        REGISTRY_UNAVAILABLE,
        /** The writer's schema names a record type this program has no class for. */
        UNKNOWN_RECORD_TYPE,
        /** A record type other than the one this topic carries. */
        WRONG_RECORD_TYPE,
        /**
         * The Avro body does not match the writer's schema: cut short, trailing bytes, a length or count
         * beyond the record's end, a union branch or enum symbol that does not exist.
         */
        MALFORMED_AVRO;
    }

    private final Reason reason;
    private final int schemaId;

    public UndecodableRecordException(Reason reason, int schemaId, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
        this.schemaId = schemaId;
    }

    public UndecodableRecordException(Reason reason, String message) {
        this(reason, -1, message, null);
    }

    public Reason reason() {
        return reason;
    }

    /** The schema id read from the header, or -1 when there was none. */
    public int schemaId() {
        return schemaId;
    }

    /** Whether trying again later may succeed (the record may well be good). */
    public boolean isTransient() {
        return reason == Reason.REGISTRY_UNAVAILABLE;
    }
}
