package io.vmflow.agent.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.commands.CommandLedger.Verdict;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CommandLedgerTest {

    private final CommandLedger ledger = new CommandLedger();

    private static HostReport finalReport(String commandId, String migrationId, long epoch) {
        return HostReport.newBuilder()
                .setReportId("r-" + commandId)
                .setHostId("hostA")
                .setKind(ReportKind.COMMAND_SUCCEEDED)
                .setReportedAt(Instant.EPOCH)
                .setCommandId(commandId)
                .setMigrationId(migrationId)
                .setIssuer("coordinator-1")
                .setEpoch(epoch)
                .build();
    }

    @Test
    void aNewCommandRunsOnceAndItsRepeatsGetTheFirstReply() {
        assertThat(ledger.admit("c1", "mig-1", 1)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c1", "mig-1", 1)).isEqualTo(Verdict.IN_FLIGHT);
        ledger.finish("c1", finalReport("c1", "mig-1", 1));
        assertThat(ledger.admit("c1", "mig-1", 1)).isEqualTo(Verdict.DONE);
        assertThat(ledger.finalReport("c1")).map(HostReport::getReportId).contains("r-c1");
    }

    @Test
    void anOlderEpochForTheSameMigrationIsStaleButOtherMigrationsAreIndependent() {
        assertThat(ledger.admit("c1", "mig-1", 5)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c2", "mig-1", 4)).isEqualTo(Verdict.STALE);
        assertThat(ledger.admit("c3", "mig-1", 5)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c4", "mig-2", 1)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c5", "mig-1", 6)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c6", "mig-1", 5)).isEqualTo(Verdict.STALE);
    }

    @Test
    void aRebalanceFencesTheOldOwnerOfAMigrationButNotTheCommandsForwardedForAnother() {
        // generation 5: coordinator-1 owns mig-1 and mig-2; the source forwards mig-1's PREPARE later
        assertThat(ledger.admit("perform-2", "mig-2", 5)).isEqualTo(Verdict.NEW);
        // generation 6: mig-2 moved to coordinator-2, whose ABORT fences coordinator-1's older commands for it
        assertThat(ledger.admit("abort-2", "mig-2", 6)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("finish-2", "mig-2", 5)).isEqualTo(Verdict.STALE);
        // coordinator-1 kept mig-1 and speaks with generation 6 elsewhere: mig-1's forwarded generation-5 step is valid
        assertThat(ledger.admit("other", "mig-3", 6)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("perform-1:prepare", "mig-1", 5)).isEqualTo(Verdict.NEW);
    }

    @Test
    void restoredAnswersKeepTheirRepliesAndTheirEpochs() {
        ledger.restore("old", finalReport("old", "mig-1", 9));
        assertThat(ledger.admit("old", "mig-1", 9)).isEqualTo(Verdict.DONE);
        assertThat(ledger.admit("new", "mig-1", 8)).isEqualTo(Verdict.STALE);
        assertThat(ledger.highestEpoch("mig-1")).isEqualTo(9);
    }
}
