package io.vmflow.ops.cli;

import java.lang.management.ManagementFactory;

/**
 * Where a command's time goes, for people measuring the CLI: with {@code VMFLOW_CLI_TRACE=true} each
 * stage prints "trace: +N ms STAGE" on stderr, N counted from the JVM's start (so the JVM's own start
 * shows as the first figure). Silent otherwise.
 */
final class StageTrace {

    private static final boolean ON = "true".equals(System.getenv("VMFLOW_CLI_TRACE"));

    private StageTrace() {}

    static void mark(String stage) {
        if (ON) {
            System.err.println("trace: +" + ManagementFactory.getRuntimeMXBean().getUptime() + " ms " + stage);
        }
    }
}
