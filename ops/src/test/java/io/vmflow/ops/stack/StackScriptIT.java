package io.vmflow.ops.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ops/stack/up.sh against the stack that is already running for the tests (ops/test.sh exports its
 * VMFLOW_* variables): a second run must leave both servers alone and find every topic in place.
 */
class StackScriptIT {

    @Test
    void runningUpTwiceIsHarmless() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path log = Files.createTempFile("up-again", ".log");
        Process up = new ProcessBuilder("bash", root.resolve("ops/stack/up.sh").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertThat(up.waitFor(10, TimeUnit.MINUTES)).as("up.sh finished").isTrue();
        String out = read(log);
        assertThat(up.exitValue()).as(out).isZero();
        assertThat(out).contains("Kafka already running", "schema registry already running", "vmflow stack is up");
        assertThat(out).doesNotContain(" created ");
        assertThat(out).contains("vmflow.migration-events").contains("exists");
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
