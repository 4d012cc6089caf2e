package io.vmflow.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line builds only the subcommand a run names, under the name its own annotation gives. */
class VmflowCliTest {

    @Test
    void everySubcommandIsRegisteredUnderItsOwnName() {
        CommandLine all = VmflowCli.commandLine();
        assertThat(all.getSubcommands()).hasSize(VmflowCli.SUBCOMMANDS.size());
        all.getSubcommands()
                .forEach((name, sub) -> assertThat(sub.getCommandName())
                        .as("the name %s is registered under", name)
                        .isEqualTo(name));
    }

    @Test
    void aRunBuildsTheSubcommandItNamesOnly() {
        assertThat(VmflowCli.commandLine("list", "--all").getSubcommands()).containsOnlyKeys("list");
        assertThat(VmflowCli.commandLine("--help").getSubcommands()).hasSize(VmflowCli.SUBCOMMANDS.size());
        assertThat(VmflowCli.commandLine("lsit").getSubcommands()).hasSize(VmflowCli.SUBCOMMANDS.size());
    }

    @Test
    void helpStillListsEveryCommandAndATypoGetsASuggestion() {
        StringWriter out = new StringWriter();
        CommandLine cli = VmflowCli.commandLine("--help");
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("migrate", "list", "show", "hosts", "token");
        StringWriter err = new StringWriter();
        CommandLine typo = VmflowCli.commandLine("lsit");
        typo.setErr(new PrintWriter(err));
        assertThat(typo.execute("lsit")).isNotZero();
        assertThat(err.toString()).contains("Unmatched argument", "lsit", "Did you mean");
    }
}
