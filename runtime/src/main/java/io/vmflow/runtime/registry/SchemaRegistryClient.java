package io.vmflow.runtime.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client for the Confluent Schema Registry REST API, which Confluent's registry, Apicurio's
 * ccompat API, Karapace and Redpanda all serve. The base URL is the API root, e.g.
 * {@code https://127.0.0.1:8081/apis/ccompat/v7} for Apicurio or {@code https://host:8081} for Confluent;
 * over HTTPS with a client certificate when it is given an {@link javax.net.ssl.SSLContext}.
 *
 * <p>Ids and schemas are immutable in a registry, so both directions are cached forever. Transport
 * failures and 5xx answers are retried a bounded number of times, then reported as
 * {@link RegistryUnavailableException}; 4xx answers are reported at once as
 * {@link SchemaRegistryException}. Thread-safe.
 */
public final class SchemaRegistryClient {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final int ATTEMPTS = 3;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    /** The status of a {@link SchemaRegistryException} for an answer this client cannot use. */
    public static final int UNUSABLE = 422;
    /** vmflow's schemas are a few KiB; a writer's schema far beyond that is not one of them. */
    static final int MAX_SCHEMA_CHARS = 1 << 20;

    private final URI base;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public SchemaRegistryClient(String baseUrl) {
        this(baseUrl, null);
    }

    /**
     * A client of this registry; with an https URL, {@code tls} says whom to trust and which
     * certificate to present (null: the JVM's defaults).
     */
    public SchemaRegistryClient(String baseUrl, javax.net.ssl.SSLContext tls) {
        String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.base = URI.create(trimmed + "/");
        if (base.getScheme() == null || !base.getScheme().startsWith("http")) {
            throw new IllegalArgumentException("schema registry URL must be http(s)://...: " + baseUrl);
        }
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
    }

    public String baseUrl() {
        return base.toString();
    }

    /** Registers a schema under a subject (or finds it there) and returns its global id. */
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "subjects/" + encode(subject) + "/versions", schemaBody(schema));
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException("registry answered without an id: " + answer, 200, -1);
        }
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /**
     * The Avro schema with a global id; throws {@link SchemaRegistryException} with status 404 when
     * unknown, and with {@link #UNUSABLE} when the id names something this client cannot use as a
     * writer's schema (a JSON or Protobuf schema, an oversized or unparseable one): any producer can
     * frame a record with any id, so the registry's answer is checked like any other input.
     */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "schemas/ids/" + id, null);
        String type = answer.path("schemaType").asText("AVRO");
        if (!type.isEmpty() && !"AVRO".equals(type)) {
            throw new SchemaRegistryException("schema id " + id + " is a " + type + " schema, not Avro", UNUSABLE, -1);
        }
        String text = answer.path("schema").asText("");
        if (text.length() > MAX_SCHEMA_CHARS) {
            throw new SchemaRegistryException(
                    "schema id " + id + " is " + text.length() + " characters long, over the " + MAX_SCHEMA_CHARS
                            + " this client accepts",
                    UNUSABLE,
                    -1);
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(text);
        } catch (RuntimeException | StackOverflowError e) {
            throw new SchemaRegistryException(
                    "schema id " + id + " is not a valid Avro schema: " + e.getMessage(), UNUSABLE, -1);
        }
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    /** The latest version registered under a subject. */
    public RegisteredSchema latest(String subject) {
        JsonNode answer = send("GET", "subjects/" + encode(subject) + "/versions/latest", null);
        return new RegisteredSchema(
                subject,
                answer.path("version").asInt(),
                answer.path("id").asInt(),
                new Schema.Parser().parse(answer.path("schema").asText()));
    }

    /** Every subject in the registry. */
    public List<String> subjects() {
        JsonNode answer = send("GET", "subjects", null);
        List<String> subjects = new ArrayList<>();
        answer.forEach(n -> subjects.add(n.asText()));
        return subjects;
    }

    /**
     * Whether a schema could be registered under a subject given the subject's compatibility level.
     * A subject with no version yet accepts anything.
     */
    public boolean isCompatible(String subject, Schema schema) {
        try {
            JsonNode answer =
                    send("POST", "compatibility/subjects/" + encode(subject) + "/versions/latest", schemaBody(schema));
            return answer.path("is_compatible").asBoolean(false);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return true;
            }
            throw e;
        }
    }

    /** Sets the compatibility level of one subject. */
    public void setCompatibility(String subject, Compatibility level) {
        send("PUT", "config/" + encode(subject), compatibilityBody(level));
    }

    /** Sets the registry-wide default compatibility level. */
    public void setGlobalCompatibility(Compatibility level) {
        send("PUT", "config", compatibilityBody(level));
    }

    /** The registry-wide default compatibility level. */
    public Compatibility globalCompatibility() {
        JsonNode answer = send("GET", "config", null);
        return Compatibility.valueOf(answer.path("compatibilityLevel").asText());
    }

    /** The compatibility level set on one subject, or the global default when it has none. */
    public Compatibility compatibility(String subject) {
        try {
            JsonNode answer = send("GET", "config/" + encode(subject), null);
            return Compatibility.valueOf(answer.path("compatibilityLevel").asText());
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return globalCompatibility();
            }
            throw e;
        }
    }

    private String schemaBody(Schema schema) {
        ObjectNode body = json.createObjectNode();
        body.put("schema", schema.toString());
        body.put("schemaType", "AVRO");
        return body.toString();
    }

    private String compatibilityBody(Compatibility level) {
        return json.createObjectNode().put("compatibility", level.name()).toString();
    }

    private JsonNode send(String method, String path, String body) {
        URI uri = base.resolve(path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        request.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        Duration backoff = FIRST_BACKOFF;
        RegistryUnavailableException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 500) {
                    last = new RegistryUnavailableException(
                            method + " " + uri + " answered " + status + ": " + response.body(), status);
                } else if (status >= 400) {
                    JsonNode error = parse(response.body());
                    throw new SchemaRegistryException(
                            method + " " + uri + " answered " + status + ": "
                                    + error.path("message").asText(response.body()),
                            status,
                            error.path("error_code").asInt(-1));
                } else {
                    return parse(response.body());
                }
            } catch (IOException e) {
                last = new RegistryUnavailableException(
                        "schema registry at " + base + " unreachable (" + method + " " + path + "): " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("interrupted while calling the schema registry", e);
            }
            if (attempt < ATTEMPTS) {
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            }
        }
        throw last;
    }

    private JsonNode parse(String body) {
        try {
            return json.readTree(body == null || body.isEmpty() ? "{}" : body);
        } catch (IOException e) {
            return json.createObjectNode().put("message", body);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while retrying the schema registry", e);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8);
    }

    /** A version of a subject as the registry holds it. */
    public record RegisteredSchema(String subject, int version, int id, Schema schema) {}
}
