package io.vmflow.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code vmflow audit} over the real audit log of the test stack: run after the coordinator's ITs in
 * a full build, it replays every migration they made (including the ones whose coordinator was
 * killed) and finds them complete, in order and without duplicates.
 */
class AuditIT {

    @Test
    void theWholeAuditLogIsCompleteInOrderAndWithoutDuplicates() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = VmflowCli.commandLine("audit").execute("audit");
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(printed).isZero();
        assertThat(printed).contains("audit log complete, in order, without duplicates");
    }
}
