package io.vmflow.runtime.json;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * The contract's records as plain JSON values (maps, lists, strings, numbers, booleans, nulls): field
 * names as in the Avro schema, unions as their value (not Avro's {@code {"type": value}} encoding),
 * enums by name, timestamps as ISO-8601, bytes as base64. The coordinator's API answers in this shape
 * and the CLI prints from it, whether it asked the API or read the topics; any JSON library writes it.
 */
public final class RecordJson {

    private RecordJson() {}

    /** A record as a JSON object; null as null. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> of(SpecificRecord r) {
        return (Map<String, Object>) value(r);
    }

    /** Any value a record holds, as JSON. */
    public static Object value(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof SpecificRecord r) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (Schema.Field f : r.getSchema().getFields()) {
                o.put(f.name(), value(r.get(f.pos())));
            }
            return o;
        }
        if (v instanceof CharSequence || v instanceof Enum<?> || v instanceof Instant) {
            return v.toString();
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v;
        }
        if (v instanceof ByteBuffer b) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (v instanceof List<?> l) {
            List<Object> a = new ArrayList<>(l.size());
            l.forEach(x -> a.add(value(x)));
            return a;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> o = new LinkedHashMap<>();
            m.forEach((k, x) -> o.put(k.toString(), value(x)));
            return o;
        }
        return v.toString();
    }
}
