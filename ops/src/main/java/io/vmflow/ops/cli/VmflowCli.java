package io.vmflow.ops.cli;

import java.util.List;
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
        description = "Live migration of virtual machines over Kafka: operator commands.")
public final class VmflowCli {

    /** The subcommands, in the order help lists them. */
    static final List<String> SUBCOMMANDS = List.of(
            "setup",
            "check-schemas",
            "roundtrip",
            "events",
            "command",
            "reports",
            "migrate",
            "cancel",
            "audit",
            "hosts",
            "list",
            "show",
            "release-schemas",
            "token");

    /** The subcommands that ask the coordinator's API first (unless told to read the topics). */
    private static final List<String> ASKING_THE_API = List.of("migrate", "list", "show", "hosts");

    /**
     * A new subcommand by name, null for none. (A switch, not a map of constructor references: each
     * lambda's first use costs a command line's start milliseconds.)
     */
    private static Object subcommand(String name) {
        return switch (name) {
            case "setup" -> new SetupCommand();
            case "check-schemas" -> new CheckSchemasCommand();
            case "roundtrip" -> new RoundTripCommand();
            case "events" -> new EventsCommand();
            case "command" -> new CommandCommand();
            case "reports" -> new ReportsCommand();
            case "migrate" -> new MigrateCommand();
            case "cancel" -> new CancelCommand();
            case "audit" -> new AuditCommand();
            case "hosts" -> new HostsCommand();
            case "list" -> new ListCommand();
            case "show" -> new ShowCommand();
            case "release-schemas" -> new ReleaseSchemasCommand();
            case "token" -> new TokenCommand();
            default -> null;
        };
    }

    /**
     * The command line for these arguments. Building a subcommand's model loads its classes (Avro's
     * enums parse their schemas, which starts logging): a run builds only the subcommand it names, or
     * every one when it names none (help, version, a typo).
     */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new VmflowCli());
        Object named = args.length > 0 ? subcommand(args[0]) : null;
        if (named != null) {
            cli.addSubcommand(args[0], named);
        } else {
            for (String name : SUBCOMMANDS) {
                cli.addSubcommand(name, subcommand(name));
            }
        }
        return cli;
    }

    public static void main(String[] args) {
        StageTrace.mark("JVM started");
        if (args.length > 0 && ASKING_THE_API.contains(args[0])) {
            CoordinatorApi.prepareInBackground(); // while picocli parses
        }
        int rc = commandLine(args)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("vmflow " + cmd.getCommandName() + ": " + e.getMessage());
                    return 1;
                })
                .execute(args);
        StageTrace.mark("command done, its clients closed");
        System.exit(rc);
    }
}
