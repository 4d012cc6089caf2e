package io.vmflow.ops.release;

import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.SchemaFormatter;

/**
 * The build's schema-evolution check. Every released version of every message type is kept in
 * {@code schemas/src/main/resources/released/<version>/<full name>.avsc}; the schemas compiled now
 * must be able to read what each of those wrote (BACKWARD, against all of them: what a registry
 * calls BACKWARD_TRANSITIVE, the stricter reading, since the audit log keeps every version forever).
 */
public final class SchemaEvolution {

    /** The folder of released schemas inside the jar and the source tree. */
    public static final String RELEASED = "released";

    private static final String INDEX = RELEASED + "/versions.txt";

    private SchemaEvolution() {}

    /** The value schema of every message type in the catalogue, by full name. */
    public static Map<String, Schema> current() {
        Map<String, Schema> byName = new LinkedHashMap<>();
        List<Topic> topics = new ArrayList<>(TopicCatalogue.FIXED);
        topics.addAll(TopicCatalogue.PER_HOST);
        for (Topic t : topics) {
            Schema s = t.valueSchema();
            if (s != null) {
                byName.put(s.getFullName(), s);
            }
        }
        return byName;
    }

    /**
     * Why a schema cannot read data written with an older one, one line per problem; empty when
     * it can.
     */
    public static List<String> backwardProblems(Schema current, Schema released) {
        SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(current, released);
        List<String> problems = new ArrayList<>();
        for (Incompatibility i : result.getResult().getIncompatibilities()) {
            problems.add(i.getType() + " at " + fieldPath(current, i.getLocation()) + ": " + i.getMessage());
        }
        return problems;
    }

    /**
     * Turns Avro's JSON-pointer location ("/fields/2/type/fields/0") into field names
     * ("spec.guest") by walking the reader's schema; falls back to the pointer.
     */
    static String fieldPath(Schema schema, String location) {
        List<String> names = new ArrayList<>();
        Schema at = schema;
        String[] parts = location.split("/");
        try {
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].equals("fields") && i + 1 < parts.length && at.getType() == Schema.Type.RECORD) {
                    Schema.Field f = at.getFields().get(Integer.parseInt(parts[++i]));
                    names.add(f.name());
                    at = f.schema();
                } else if (parts[i].equals("union") && i + 1 < parts.length && at.getType() == Schema.Type.UNION) {
                    at = at.getTypes().get(Integer.parseInt(parts[++i]));
                } else if (parts[i].equals("items") && at.getType() == Schema.Type.ARRAY) {
                    at = at.getElementType();
                } else if (parts[i].equals("values") && at.getType() == Schema.Type.MAP) {
                    at = at.getValueType();
                }
            }
        } catch (RuntimeException e) {
            return location;
        }
        return names.isEmpty() ? location : String.join(".", names) + " (" + location + ")";
    }

    /** The released versions, oldest first, as listed in {@code released/versions.txt}. */
    public static List<String> releasedVersions() {
        String index = resource(INDEX);
        if (index == null) {
            return List.of();
        }
        return index.lines()
                .map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
    }

    /** The schemas of one released version, by full name. */
    public static Map<String, Schema> released(String version) {
        Map<String, Schema> byName = new LinkedHashMap<>();
        for (String name : current().keySet()) {
            String text = resource(RELEASED + "/" + version + "/" + name + ".avsc");
            if (text != null) {
                byName.put(name, new Schema.Parser().parse(text));
            }
        }
        return byName;
    }

    /**
     * Every problem between the current schemas and every released version, as
     * "version name: problem" lines; also a message type that disappeared since a release.
     */
    public static List<String> check() {
        Map<String, Schema> now = current();
        List<String> problems = new ArrayList<>();
        for (String version : releasedVersions()) {
            Map<String, Schema> then = released(version);
            if (then.isEmpty()) {
                problems.add(version + ": no schema files found under " + RELEASED + "/" + version);
            }
            for (Map.Entry<String, Schema> old : then.entrySet()) {
                Schema mine = now.get(old.getKey());
                if (mine == null) {
                    problems.add(version + " " + old.getKey() + ": message type removed");
                    continue;
                }
                for (String p : backwardProblems(mine, old.getValue())) {
                    problems.add(version + " " + old.getKey() + ": " + p);
                }
            }
        }
        return problems;
    }

    /** Writes the current schemas as a released version into a source tree's resources folder. */
    public static void writeRelease(Path resourcesDir, String version) {
        Objects.requireNonNull(version, "version");
        Path dir = resourcesDir.resolve(RELEASED).resolve(version);
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, Schema> e : current().entrySet()) {
                Files.writeString(
                        dir.resolve(e.getKey() + ".avsc"), SchemaFormatter.format("json/pretty", e.getValue()) + "\n");
            }
            Path index = resourcesDir.resolve(INDEX);
            List<String> versions = new ArrayList<>(Files.exists(index) ? Files.readAllLines(index) : List.of());
            if (!versions.contains(version)) {
                versions.add(version);
                Files.write(index, versions);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String path) {
        try (InputStream in = SchemaEvolution.class.getClassLoader().getResourceAsStream(path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
