package io.vmflow.ops.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboards against Grafana's own dashboard model: {@code src/test/grafana/check.mjs}
 * types each one as {@code Dashboard} from {@code @grafana/schema} (installed from npm into
 * target/grafana-check) and the TypeScript compiler rejects any field of the wrong type or unknown
 * to Grafana. (An IT: it needs the npm registry.)
 */
class GrafanaSchemaIT {

    static final Path WORK = Path.of("target", "grafana-check");

    @Test
    void everyDashboardConformsToGrafanasDashboardModel() throws Exception {
        Files.createDirectories(WORK);
        for (String f : List.of("package.json", "check.mjs")) {
            Files.copy(Path.of("src", "test", "grafana", f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(WORK.resolve("node_modules/@grafana/schema"))) {
            Run npm = run(List.of("npm", "install", "--no-audit", "--no-fund", "--no-package-lock"));
            assertThat(npm.exit()).as("npm install:\n%s", npm.output()).isZero();
        }
        List<String> command = new ArrayList<>(List.of("node", "check.mjs"));
        try (Stream<Path> s = Files.list(MonitoringConfigTest.GRAFANA)) {
            s.filter(p -> p.toString().endsWith(".json")).sorted()
                    .forEach(p -> command.add(p.toAbsolutePath().toString()));
        }
        assertThat(command).hasSize(5);

        Run check = run(command);

        assertThat(check.exit()).as("the TypeScript compiler on the dashboards:\n%s", check.output()).isZero();
        assertThat(check.output()).contains("3 dashboards conform");
    }

    record Run(int exit, String output) {
    }

    static Run run(List<String> command) throws Exception {
        Path log = Files.createTempFile("vmflow-grafana", ".log");
        Process p = new ProcessBuilder(command).directory(WORK.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) { // a guard against a hung npm, not a performance limit
            p.destroyForcibly();
        }
        return new Run(p.isAlive() ? -1 : p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
