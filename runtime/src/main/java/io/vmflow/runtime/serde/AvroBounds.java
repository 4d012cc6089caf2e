package io.vmflow.runtime.serde;

import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Walks Avro binary data against its writer's schema without allocating anything the data asks for,
 * so that a hostile record cannot make the reader allocate gigabytes or loop for ever. Avro's own
 * reader trusts length and count prefixes: a string that claims 2 GiB is allocated before the bytes
 * are found missing, and an array that claims 2^31 items pre-sizes a list that large. Here every
 * string, bytes and fixed value must fit in what is left of the record, every collection's item count
 * must be payable by the bytes left (or, for items that take no bytes, stay under a small bound),
 * every union branch and enum symbol must exist, and nesting stays shallow. Only data that passes is
 * handed to Avro's reader.
 */
public final class AvroBounds {

    /** Items of a collection whose items take no bytes at all (null, empty records): more is hostile. */
    static final long MAX_EMPTY_ITEMS = 1 << 16;

    static final int MAX_DEPTH = 64;

    private final byte[] bytes;
    private int pos;
    private final int end;
    private final Map<Schema, Boolean> emptyCache = new IdentityHashMap<>();

    private AvroBounds(byte[] bytes, int offset, int end) {
        this.bytes = bytes;
        this.pos = offset;
        this.end = end;
    }

    /**
     * Checks that {@code bytes[offset..]} is exactly one datum of {@code writer}.
     *
     * @throws IllegalArgumentException saying what is wrong and where
     */
    public static void check(Schema writer, byte[] bytes, int offset) {
        AvroBounds b = new AvroBounds(bytes, offset, bytes.length);
        b.walk(writer, 0);
        if (b.pos != b.end) {
            throw new IllegalArgumentException(
                    (b.end - b.pos) + " bytes left over after a whole " + writer.getFullName());
        }
    }

    private void walk(Schema s, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH + " levels");
        }
        switch (s.getType()) {
            case NULL -> {}
            case BOOLEAN -> take(1, "boolean");
            case INT -> varint(5, "int");
            case LONG -> varint(10, "long");
            case FLOAT -> take(4, "float");
            case DOUBLE -> take(8, "double");
            case STRING, BYTES ->
                take(length(s.getType().getName()), s.getType().getName());
            case FIXED -> take(s.getFixedSize(), "fixed " + s.getFullName());
            case ENUM -> {
                long i = varint(5, "enum index");
                if (i < 0 || i >= s.getEnumSymbols().size()) {
                    throw new IllegalArgumentException(
                            "enum " + s.getFullName() + " has no symbol " + i + " at byte " + pos);
                }
            }
            case UNION -> {
                long i = varint(5, "union index");
                if (i < 0 || i >= s.getTypes().size()) {
                    throw new IllegalArgumentException("union has no branch " + i + " at byte " + pos);
                }
                walk(s.getTypes().get((int) i), depth + 1);
            }
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    walk(f.schema(), depth + 1);
                }
            }
            case ARRAY -> blocks(s.getElementType(), null, depth);
            case MAP -> blocks(s.getValueType(), Schema.create(Schema.Type.STRING), depth);
        }
    }

    /** Array and map blocks: a count (negative: followed by the block's byte size), items, a zero count. */
    private void blocks(Schema item, Schema key, int depth) {
        boolean empty = key == null && takesNoBytes(item, 0);
        long total = 0;
        while (true) {
            long count = varint(10, "block count");
            if (count == 0) {
                return;
            }
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw new IllegalArgumentException("block count out of range at byte " + pos);
                }
                count = -count;
                long size = varint(10, "block size");
                if (size < 0 || size > end - pos) {
                    throw new IllegalArgumentException("block claims " + size + " bytes, " + (end - pos) + " left");
                }
            }
            total += count;
            // an item that takes bytes cannot be more than the bytes left; one that takes none gets a small bound
            if (empty ? total > MAX_EMPTY_ITEMS : count > end - pos) {
                throw new IllegalArgumentException(
                        "collection claims " + count + " items with " + (end - pos) + " bytes left at byte " + pos);
            }
            for (long i = 0; i < count; i++) {
                if (key != null) {
                    walk(key, depth + 1);
                }
                walk(item, depth + 1);
            }
        }
    }

    /** Whether a value of this schema can be encoded in zero bytes (so counts of it cost nothing). */
    private boolean takesNoBytes(Schema s, int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        Boolean cached = emptyCache.get(s);
        if (cached != null) {
            return cached;
        }
        emptyCache.put(s, false); // a recursive record needs a byte somewhere to end
        boolean empty = switch (s.getType()) {
            case NULL -> true;
            case FIXED -> s.getFixedSize() == 0;
            case RECORD -> s.getFields().stream().allMatch(f -> takesNoBytes(f.schema(), depth + 1));
            default -> false;
        };
        emptyCache.put(s, empty);
        return empty;
    }

    private long length(String what) {
        long n = varint(10, what + " length");
        if (n < 0 || n > end - pos) {
            throw new IllegalArgumentException(
                    what + " claims " + n + " bytes, " + (end - pos) + " left at byte " + pos);
        }
        return n;
    }

    private void take(long n, String what) {
        if (n > end - pos) {
            throw new IllegalArgumentException(
                    what + " needs " + n + " bytes, " + (end - pos) + " left at byte " + pos);
        }
        pos += (int) n;
    }

    /** A zig-zag varint of at most {@code maxBytes} bytes. */
    private long varint(int maxBytes, String what) {
        long raw = 0;
        for (int i = 0; i < maxBytes; i++) {
            if (pos >= end) {
                throw new IllegalArgumentException(what + " cut short at byte " + pos);
            }
            int b = bytes[pos++] & 0xff;
            raw |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new IllegalArgumentException(what + " is not a valid varint at byte " + pos);
    }
}
