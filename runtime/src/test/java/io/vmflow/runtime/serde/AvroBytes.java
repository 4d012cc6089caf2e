package io.vmflow.runtime.serde;

import java.io.ByteArrayOutputStream;

/** Avro binary pieces for tests that build hostile records by hand. */
public final class AvroBytes {

    private AvroBytes() {}

    /** A long as Avro writes it: zig-zag, then 7 bits a byte. */
    public static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long z = (v << 1) ^ (v >> 63);
        while ((z & ~0x7fL) != 0) {
            out.write((int) ((z & 0x7f) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return out.toByteArray();
    }

    /** The parts, one after another. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
