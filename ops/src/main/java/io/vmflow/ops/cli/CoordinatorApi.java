package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.security.PemTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;

/**
 * The coordinator's HTTP API, as the read commands ask it: one GET, answered from the coordinator's
 * memory in milliseconds whatever the length of history, where reading the topics takes seconds and
 * grows with them. {@code VMFLOW_COORDINATOR_URL} says where (default: the local stack's,
 * https://127.0.0.1:8080); the command presents its Kafka principal's certificate, so an operator or an
 * admin may read. When the coordinator cannot answer (not running, another address, a principal it does
 * not let read), the command says so on stderr and reads the topics instead.
 */
final class CoordinatorApi {

    static final String URL_VARIABLE = "VMFLOW_COORDINATOR_URL";
    private static final ObjectMapper MAPPER = new ObjectMapper();

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
     * GET {@code path}: its JSON when the answer is 200, {@link Answer#notFound()} on 404, empty (and why
     * on stderr) when the coordinator cannot be asked or will not answer.
     */
    Optional<Answer> get(String path) {
        StageTrace.mark("asking the coordinator");
        URI uri = base.resolve(path);
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            if (c instanceof HttpsURLConnection https) {
                if (endpoints.tlsDir() == null) {
                    return unanswered(
                            uri, "it speaks HTTPS and this command has no certificate (VMFLOW_KAFKA_TLS_DIR)");
                }
                https.setSSLSocketFactory(PemTls.client(endpoints.tlsDir()).getSocketFactory());
                StageTrace.mark("TLS context made");
            }
            c.setConnectTimeout(1_000);
            c.setReadTimeout(10_000);
            c.setRequestProperty("Accept", "application/json");
            int status = c.getResponseCode();
            StageTrace.mark("coordinator answered " + status);
            if (status == 404) {
                return Optional.of(new Answer(null));
            }
            if (status != 200) {
                return unanswered(uri, "it answered " + status + " " + c.getResponseMessage());
            }
            try (InputStream in = c.getInputStream()) {
                JsonNode json = MAPPER.readTree(in);
                StageTrace.mark("answer read");
                return Optional.of(new Answer(json));
            }
        } catch (IOException | IllegalArgumentException e) {
            return unanswered(uri, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Optional<Answer> unanswered(URI uri, String why) {
        System.err.println("(the coordinator at " + uri + " did not answer: " + why + "; reading the topics"
                + " instead, which takes longer; set " + URL_VARIABLE + " to its API's address)");
        return Optional.empty();
    }

    /** The coordinator's answer: its JSON, or null when it knows no such thing (404). */
    record Answer(JsonNode json) {
        boolean notFound() {
            return json == null;
        }
    }
}
