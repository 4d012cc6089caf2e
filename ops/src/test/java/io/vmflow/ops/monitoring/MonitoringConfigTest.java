package io.vmflow.ops.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Grafana dashboards of ops/grafana are well-formed for Grafana's file provisioning and filter on
 * jobs that both Prometheus configurations scrape. (That each queried metric is really exported is
 * checked against the live services in their ITs: GrafanaDashboards.assertQueriesExported.)
 */
class MonitoringConfigTest {

    static final Path GRAFANA = Path.of("grafana", "dashboards");

    static Stream<Path> dashboards() throws IOException {
        try (Stream<Path> s = Files.list(GRAFANA)) {
            List<Path> l =
                    s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            assertThat(l).hasSize(3);
            return l.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void dashboardIsProvisionableAndEveryPanelQueriesPrometheusThroughTheDatasourceVariable(Path file)
            throws IOException {
        JsonNode d = new ObjectMapper().readTree(file.toFile());
        assertThat(d.path("uid").asText()).startsWith("vmflow-");
        assertThat(d.path("title").asText()).startsWith("vmflow / ");
        assertThat(d.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        assertThat(d.path("templating").path("list").get(0).path("type").asText())
                .isEqualTo("datasource");
        Set<Integer> ids = new HashSet<>();
        assertThat(d.path("panels").size()).isPositive();
        for (JsonNode p : d.path("panels")) {
            String panel = file.getFileName() + " panel '" + p.path("title").asText() + "'";
            assertThat(ids.add(p.path("id").asInt())).as("%s: unique id", panel).isTrue();
            assertThat(p.path("type").asText()).as(panel).isIn("stat", "timeseries");
            assertThat(p.path("gridPos").path("w").asInt()).as(panel).isBetween(1, 24);
            assertThat(p.path("datasource").path("uid").asText()).as(panel).isEqualTo("${datasource}");
            assertThat(p.path("targets").size()).as(panel).isPositive();
            for (JsonNode t : p.path("targets")) {
                assertThat(t.path("expr").asText()).as(panel).containsPattern("\\b(vmflow|kafka)_");
                assertThat(parenthesesBalance(t.path("expr").asText()))
                        .as("%s: %s", panel, t.path("expr"))
                        .isTrue();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void everyJobADashboardFiltersOnIsScrapedInComposeAndLocally(Path file) throws IOException {
        Set<String> compose = jobs(Path.of("prometheus", "prometheus.yml"));
        Set<String> local = jobs(Path.of("prometheus", "local.yml"));
        Matcher m = Pattern.compile("job=\\\\?\"([a-z-]+)\\\\?\"").matcher(Files.readString(file));
        while (m.find()) {
            assertThat(compose).as("jobs of prometheus.yml").contains(m.group(1));
            assertThat(local).as("jobs of local.yml").contains(m.group(1));
        }
    }

    static Set<String> jobs(Path yml) throws IOException {
        Set<String> jobs = new HashSet<>();
        Matcher m = Pattern.compile("job_name:\\s*(\\S+)").matcher(Files.readString(yml));
        while (m.find()) {
            jobs.add(m.group(1));
        }
        return jobs;
    }

    static boolean parenthesesBalance(String expr) {
        int depth = 0;
        for (char c : expr.toCharArray()) {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }
}
