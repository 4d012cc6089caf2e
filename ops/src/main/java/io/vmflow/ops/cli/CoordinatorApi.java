package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.security.PemTls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Predicate;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * The coordinator's HTTP API, as the CLI asks it: answered from the coordinator's memory in
 * milliseconds whatever the length of history, where reading the topics takes seconds and grows with
 * them, and without a Kafka client to start. {@code VMFLOW_COORDINATOR_URL} says where (default: the
 * local stack's, https://127.0.0.1:8080); the command presents its Kafka principal's certificate, so an
 * operator or an admin may read and request. When the coordinator cannot answer (not running, another
 * address, a principal it does not let in), the command says so on stderr and uses the topics instead.
 */
final class CoordinatorApi {

    static final String URL_VARIABLE = "VMFLOW_COORDINATOR_URL";
    /** TLS contexts by principal directory, each made once (perhaps ahead: {@link #prepareInBackground()}). */
    private static final ConcurrentMap<Path, SSLSocketFactory> CONTEXTS = new ConcurrentHashMap<>();
    /** Done once the preparation started in the background (if any) has ended. */
    private static volatile CompletableFuture<Void> prepared = CompletableFuture.completedFuture(null);

    private final URI base;
    private final Endpoints endpoints;

    CoordinatorApi(URI base, Endpoints endpoints) {
        this.base = base;
        this.endpoints = endpoints;
    }

    static CoordinatorApi fromEnvironment(Endpoints endpoints) {
        String url = System.getenv(URL_VARIABLE);
        if (url == null || url.isBlank()) {
            url = System.getProperty("vmflow.coordinator.url");
        }
        if (url == null || url.isBlank()) {
            url = (endpoints.tlsDir() == null ? "http" : "https") + "://127.0.0.1:8080";
        }
        return new CoordinatorApi(URI.create(url.endsWith("/") ? url : url + "/"), endpoints);
    }

    /**
     * Starts, on another thread while the command line is still being parsed, what a command that asks
     * the API would otherwise do first on its own (together about half of its time to an answer): the
     * TLS context (reading the principal's PEM key and certificates), the JSON mapper, and one request
     * that leaves a connection open for the command's own, its TLS handshake done. The command's first
     * request waits for it to end. Whatever goes wrong here, the command meets again and reports.
     */
    static void prepareInBackground() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        prepared = done;
        Thread t = new Thread(
                () -> {
                    try {
                        fromEnvironment(Endpoints.fromEnvironment()).warm();
                    } catch (RuntimeException e) {
                        // the command meets the same environment and says what is wrong with it
                    } finally {
                        done.complete(null);
                    }
                },
                "prepare-coordinator-api");
        t.setDaemon(true);
        t.start();
    }

    /** A request whose answer does not matter (the root's redirect), read to its end so its connection is kept. */
    private void warm() {
        try {
            Json.MAPPER.readTree("{\"warm\": [1, true, null]}".getBytes(StandardCharsets.UTF_8));
            HttpURLConnection c = connect(base.resolve("/"), 2_000);
            c.setInstanceFollowRedirects(false);
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                if (in != null) {
                    in.readAllBytes();
                }
            }
            StageTrace.mark("prepared: a connection to the coordinator open");
        } catch (IOException e) {
            // the command's own request meets this too
        }
    }

    /**
     * GET {@code path}: its JSON when the answer is 200, an answer that is {@link Answer#notFound()} on
     * 404, empty (and why on stderr) when the coordinator cannot be asked or will not answer.
     */
    Optional<Answer> get(String path) {
        URI uri = base.resolve(path);
        try {
            HttpURLConnection c = open(uri, 10_000);
            int status = c.getResponseCode();
            StageTrace.mark("coordinator answered " + status);
            if (status == 404) {
                return Optional.of(new Answer(404, null));
            }
            if (status != 200) {
                return unanswered(uri, "it answered " + status + " " + c.getResponseMessage());
            }
            return Optional.of(new Answer(status, read(c.getInputStream())));
        } catch (IOException | IllegalArgumentException e) {
            return unanswered(uri, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * GET {@code path} and the items of its answer's array {@code field}; empty when the coordinator
     * cannot answer or does not know the thing (404): the caller then reads the topics.
     */
    Optional<java.util.List<JsonNode>> items(String path, String field) {
        return get(path).filter(a -> !a.notFound()).map(a -> {
            java.util.List<JsonNode> l = new java.util.ArrayList<>();
            a.json().path(field).forEach(l::add);
            return l;
        });
    }

    /**
     * POST a JSON body to {@code path}: the answer's status and JSON; empty (and why on stderr) when
     * the coordinator cannot be asked or does not let this principal in (401, 403), so that the caller
     * may use the topics, where the principal's ACLs decide.
     */
    Optional<Answer> post(String path, Object body) {
        URI uri = base.resolve(path);
        try {
            HttpURLConnection c = open(uri, 30_000);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = c.getOutputStream()) {
                Json.MAPPER.writeValue(out, body);
            }
            int status = c.getResponseCode();
            StageTrace.mark("coordinator answered " + status);
            if (status == 401 || status == 403) {
                return unanswered(uri, "it answered " + status + " " + c.getResponseMessage());
            }
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            return Optional.of(new Answer(status, in == null ? null : read(in)));
        } catch (IOException | IllegalArgumentException e) {
            return unanswered(uri, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * Follows a server-sent event stream: each event's data, as JSON, to {@code each} until it returns
     * false or the stream ends. False when the stream could not be opened (why on stderr).
     */
    boolean follow(String path, Predicate<JsonNode> each) {
        URI uri = base.resolve(path);
        try {
            // the coordinator writes a comment at least every 15 s: a minute of silence is a dead peer
            HttpURLConnection c = open(uri, 60_000);
            c.setRequestProperty("Accept", "text/event-stream");
            int status = c.getResponseCode();
            if (status != 200) {
                unanswered(uri, "it answered " + status + " " + c.getResponseMessage());
                return false;
            }
            try (BufferedReader lines =
                    new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("data:") && !each.test(Json.MAPPER.readTree(line.substring(5)))) {
                        break;
                    }
                }
            }
            return true;
        } catch (IOException | IllegalArgumentException e) {
            unanswered(uri, e.getClass().getSimpleName() + ": " + e.getMessage());
            return false;
        }
    }

    private HttpURLConnection open(URI uri, int readTimeoutMs) throws IOException {
        StageTrace.mark("asking the coordinator");
        prepared.join();
        return connect(uri, readTimeoutMs);
    }

    private HttpURLConnection connect(URI uri, int readTimeoutMs) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        if (c instanceof HttpsURLConnection https) {
            if (endpoints.tlsDir() == null) {
                throw new IOException("it speaks HTTPS and this command has no certificate (VMFLOW_KAFKA_TLS_DIR)");
            }
            // made once (on the preparing thread, as a rule); an IllegalArgumentException when it cannot be
            https.setSSLSocketFactory(CONTEXTS.computeIfAbsent(
                    endpoints.tlsDir(), d -> PemTls.client(d).getSocketFactory()));
        }
        c.setConnectTimeout(1_000);
        c.setReadTimeout(readTimeoutMs);
        c.setRequestProperty("Accept", "application/json");
        return c;
    }

    private static JsonNode read(InputStream in) throws IOException {
        try (in) {
            JsonNode json = Json.MAPPER.readTree(in);
            StageTrace.mark("answer read");
            return json;
        }
    }

    private static <T> Optional<T> unanswered(URI uri, String why) {
        System.err.println("(the coordinator at " + uri + " did not answer: " + why + "; using the topics"
                + " instead, which takes longer; set " + URL_VARIABLE + " to its API's address)");
        return Optional.empty();
    }

    /** The mapper, made on first use (it takes tens of milliseconds: on the preparing thread, as a rule). */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /** The coordinator's answer: its status and JSON (null when it sent none). */
    record Answer(int status, JsonNode json) {
        boolean notFound() {
            return status == 404;
        }

        /** The API's error as "CODE: message", for a person. */
        String error() {
            JsonNode e = json == null ? null : json.path("error");
            return e == null || e.isMissingNode()
                    ? "HTTP " + status
                    : e.path("code").asText() + ": " + e.path("message").asText();
        }
    }
}
