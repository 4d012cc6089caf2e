package io.vmflow.ops.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.runtime.NodeProgram;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboards against Grafana's own dashboard model: {@code src/test/grafana/check.mjs}
 * types each one as {@code Dashboard} from {@code @grafana/schema} (installed from npm into
 * target/grafana) and the TypeScript compiler rejects any field of the wrong type or unknown
 * to Grafana. (An IT: it needs the npm registry.)
 */
class GrafanaSchemaIT {

    @Test
    void everyDashboardConformsToGrafanasDashboardModel() throws Exception {
        NodeProgram checker = NodeProgram.install("grafana", List.of("package.json", "check.mjs"), "@grafana/schema");
        List<String> command = new ArrayList<>(List.of("node", "check.mjs"));
        try (Stream<Path> s = Files.list(MonitoringConfigTest.GRAFANA)) {
            s.filter(p -> p.toString().endsWith(".json"))
                    .sorted()
                    .forEach(p -> command.add(p.toAbsolutePath().toString()));
        }
        assertThat(command).hasSize(5);

        NodeProgram.Run check = checker.run(command, Duration.ofMinutes(5));

        assertThat(check.exit())
                .as("the TypeScript compiler on the dashboards:\n%s", check.output())
                .isZero();
        assertThat(check.output()).contains("3 dashboards conform");
    }
}
