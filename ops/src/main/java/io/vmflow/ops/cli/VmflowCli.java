package io.vmflow.ops.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code vmflow} command line. Every subcommand finds Kafka and the registry through
 * {@code KAFKA_BOOTSTRAP_SERVERS} and {@code SCHEMA_REGISTRY_URL} (defaults: the embedded stack).
 */
@Command(
        name = "vmflow",
        mixinStandardHelpOptions = true,
        version = "vmflow 0.1.0",
        description = "Live migration of virtual machines over Kafka: operator commands.",
        subcommands = {
            SetupCommand.class,
            CheckSchemasCommand.class,
            RoundTripCommand.class,
            EventsCommand.class,
            CommandCommand.class,
            ReportsCommand.class,
            MigrateCommand.class,
            CancelCommand.class,
            AuditCommand.class,
            HostsCommand.class,
            ListCommand.class,
            ShowCommand.class,
            ReleaseSchemasCommand.class,
            TokenCommand.class
        })
public final class VmflowCli {

    public static void main(String[] args) {
        int rc = new CommandLine(new VmflowCli())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("vmflow " + cmd.getCommandName() + ": " + e.getMessage());
                    return 1;
                })
                .execute(args);
        StageTrace.mark("command done, its clients closed");
        System.exit(rc);
    }
}
