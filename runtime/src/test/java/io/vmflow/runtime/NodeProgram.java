package io.vmflow.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Node.js program of a module's tests ({@code src/test/<name>/}: a package.json and its scripts),
 * run from {@code target/<name>/} beside its own node_modules, which npm installs there once per
 * build directory (the dashboard's browser test, the Grafana dashboards' type check).
 */
public final class NodeProgram {

    /** How a command ended: exit -1 if it was killed at its limit. */
    public record Run(int exit, String output) {}

    private final Path dir;

    private NodeProgram(Path dir) {
        this.dir = dir;
    }

    /**
     * Copies {@code files} from src/test/NAME to target/NAME and runs npm install there unless
     * node_modules/INSTALLED is already present.
     */
    public static NodeProgram install(String name, List<String> files, String installed) throws Exception {
        Path dir = Path.of("target", name);
        Files.createDirectories(dir);
        for (String f : files) {
            Files.copy(Path.of("src", "test", name, f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        NodeProgram program = new NodeProgram(dir);
        if (!Files.isDirectory(dir.resolve("node_modules").resolve(installed))) {
            Run npm = program.run(
                    List.of("npm", "install", "--no-audit", "--no-fund", "--no-package-lock"), Duration.ofMinutes(5));
            assertThat(npm.exit())
                    .as("npm install in %s:\n%s", dir, npm.output())
                    .isZero();
        }
        return program;
    }

    /** Runs a command in the program's directory; the limit only guards against a hung npm, node or browser. */
    public Run run(List<String> command, Duration limit) throws Exception {
        Path log = Files.createTempFile("vmflow-node", ".log");
        try {
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Run(-1, Files.readString(log, StandardCharsets.UTF_8) + "\n(killed after " + limit + ")");
            }
            return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
