package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vmflow.avro.Phase;
import io.vmflow.runtime.NodeProgram;
import io.vmflow.testsupport.GrafanaDashboards;
import io.vmflow.testsupport.TestHttps;
import io.vmflow.testsupport.TestPki;
import io.vmflow.testsupport.auth.TestTokens;
import io.vmflow.testsupport.hosts.TestGuest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The live dashboard in a real browser: Debian's Chromium, driven by playwright-core
 * ({@code src/test/browser/dashboard.mjs}), watches the page while a migration it starts through the
 * HTTP API moves a guest between the two real test hosts; the page must show the migration appear,
 * pass through in-flight phases and end SUCCEEDED, agreeing with the audit log on Kafka. The
 * screenshot stays in {@code target/dashboard-screenshots/}.
 */
class DashboardBrowserIT {

    static final List<String> IN_FLIGHT =
            List.of("SCHEDULED", "PREPARING_TARGET", "TARGET_READY", "RUNNING", "FINISHING", "CONFIRMING");

    static CoordinatorFixture system;
    static NodeProgram browser;

    @BeforeAll
    static void start() throws Exception {
        assertThat(Path.of("/usr/bin/chromium"))
                .as("Debian's chromium package (ops/test.sh installs it)")
                .exists();
        browser = NodeProgram.install("browser", List.of("package.json", "dashboard.mjs"), "playwright-core");
        system = CoordinatorFixture.start("it-dashboard", Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        system.close();
    }

    @Test
    void aMigrationStartedWhileWatchingAppearsMovesThroughItsPhasesAndEndsSucceededOnThePage() throws Exception {
        TestGuest guest = new TestGuest("dash-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        Path screenshot = Path.of("target", "dashboard-screenshots", "dashboard-" + guest.name() + ".png");
        Files.createDirectories(screenshot.getParent());
        try {
            guest.start(system.agents.hostA, false);
            system.awaitGuest("hostA", guest.name());

            NodeProgram.Run run = browser.run(
                    List.of(
                            "env",
                            // node's own fetch (the operator's call) trusts the test CA
                            "NODE_EXTRA_CA_CERTS=" + TestPki.dir().resolve("ca/ca.crt"),
                            "node",
                            "dashboard.mjs",
                            TestHttps.base(system.coordinator.httpPort()),
                            // the browser trusts the coordinator's certificate, pinned by its public key
                            TestHttps.enabled()
                                    ? TestPki.dir()
                                            .resolve("coordinator.it/cert.pem")
                                            .toString()
                                    : "-",
                            guest.name(),
                            "hostA",
                            "hostB",
                            screenshot.toAbsolutePath().toString(),
                            TestTokens.token("it-dashboard-viewer", "viewer"),
                            TestTokens.token("it-dashboard-operator", "operator")),
                    Duration.ofMinutes(5));

            System.out.println("browser test: " + run.output());
            assertThat(run.exit())
                    .as("the browser test said:\n%s", run.output())
                    .isZero();
            JsonObject seen = new JsonObject(run.output()
                    .lines()
                    .filter(l -> l.startsWith("{"))
                    .reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no result line from the browser test:\n" + run.output())));
            String id = seen.getString("migrationId");
            List<String> phases = seen.getJsonArray("phasesSeen").stream()
                    .map(String::valueOf)
                    .toList();
            assertThat(phases).as("phases the page showed for %s", id).last().isEqualTo("SUCCEEDED");
            assertThat(phases)
                    .as("the page showed %s while it was in flight", id)
                    .containsAnyElementsOf(IN_FLIGHT);
            assertThat(seen.getJsonArray("timeline").stream()
                            .map(String::valueOf)
                            .toList())
                    .containsSubsequence(
                            "REQUESTED",
                            "ACCEPTED",
                            "SCHEDULED",
                            "PREPARING_TARGET",
                            "TARGET_READY",
                            "RUNNING",
                            "FINISHING",
                            "SUCCEEDED");
            assertThat(Files.size(screenshot)).as("screenshot %s", screenshot).isPositive();

            assertThat(system.events.awaitFinal(id, Duration.ofMinutes(1)).getPhase())
                    .isEqualTo(Phase.SUCCEEDED);
            guest.assertRunningIntact(system.agents.hostB);

            String metrics = management("/metrics");
            assertThat(metrics)
                    .containsPattern(
                            "vmflow_migrations_finished_total\\{coordinator=\"it-coordinator\",outcome=\"SUCCEEDED\","
                                    + "service=\"coordinator\"} [1-9]")
                    .containsPattern("vmflow_migration_downtime_seconds_count\\{coordinator=\"it-coordinator\","
                            + "service=\"coordinator\"} [1-9]")
                    .containsPattern("kafka_consumer_fetch_manager_records_lag_max\\{client_id=\"it-coordinator\"")
                    .contains("# TYPE vertx_http_server_requests_total counter");
            GrafanaDashboards.assertQueriesExported(GrafanaDashboards.named("coordinator"), metrics);
            io.vmflow.testsupport.SecretScan.assertClean("the coordinator's /metrics", metrics);
        } finally {
            guest.remove(system.agents.hostA);
            guest.remove(system.agents.hostB);
        }
    }

    static String management(String path) throws IOException, InterruptedException {
        return get(system.coordinator.managementPort(), path);
    }

    private static String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s", path).isEqualTo(200);
        return r.body();
    }
}
