package io.vmflow.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks a Grafana dashboard of ops/grafana against what a service really exports on /metrics. */
public final class GrafanaDashboards {

    private static final Pattern METRIC = Pattern.compile("\\b(vmflow|kafka)_[a-z_]+");

    private GrafanaDashboards() {}

    /** A dashboard of ops/grafana/dashboards, from a module's directory (where Maven runs tests). */
    public static Path named(String name) {
        return Path.of("..", "ops", "grafana", "dashboards", name + ".json");
    }

    /** The metric families the panels' PromQL queries name (histogram series mapped to their family). */
    public static Set<String> queriedFamilies(Path dashboard) throws IOException {
        Set<String> families = new TreeSet<>();
        for (JsonNode panel : new ObjectMapper().readTree(dashboard.toFile()).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = METRIC.matcher(target.path("expr").asText());
                while (m.find()) {
                    families.add(m.group().replaceAll("_(bucket|sum|count)$", ""));
                }
            }
        }
        return families;
    }

    /** Every family the dashboard queries is declared ({@code # TYPE}) in the scrape. */
    public static void assertQueriesExported(Path dashboard, String scrape) throws IOException {
        Set<String> queried = queriedFamilies(dashboard);
        assertThat(queried).as("metrics queried by %s", dashboard).isNotEmpty();
        for (String family : queried) {
            assertThat(scrape)
                    .as("%s queries %s; the service's /metrics must declare it", dashboard, family)
                    .contains("# TYPE " + family + " ");
        }
    }
}
