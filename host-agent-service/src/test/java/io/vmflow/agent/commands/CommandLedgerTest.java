package io.vmflow.agent.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.commands.CommandLedger.Verdict;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CommandLedgerTest {

    private final CommandLedger ledger = new CommandLedger();

    private static HostReport finalReport(String commandId, String issuer, long epoch) {
        return HostReport.newBuilder()
                .setReportId("r-" + commandId)
                .setHostId("hostA")
                .setKind(ReportKind.COMMAND_SUCCEEDED)
                .setReportedAt(Instant.EPOCH)
                .setCommandId(commandId)
                .setIssuer(issuer)
                .setEpoch(epoch)
                .build();
    }

    @Test
    void aNewCommandRunsOnceAndItsRepeatsGetTheFirstReply() {
        assertThat(ledger.admit("c1", "coord", 1)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c1", "coord", 1)).isEqualTo(Verdict.IN_FLIGHT);
        ledger.finish("c1", finalReport("c1", "coord", 1));
        assertThat(ledger.admit("c1", "coord", 1)).isEqualTo(Verdict.DONE);
        assertThat(ledger.finalReport("c1")).map(HostReport::getReportId).contains("r-c1");
    }

    @Test
    void anOlderEpochOfTheSameIssuerIsStaleButOtherIssuersAreIndependent() {
        assertThat(ledger.admit("c1", "coord", 5)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c2", "coord", 4)).isEqualTo(Verdict.STALE);
        assertThat(ledger.admit("c3", "coord", 5)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c4", "agent:hostB", 1)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c5", "coord", 6)).isEqualTo(Verdict.NEW);
        assertThat(ledger.admit("c6", "coord", 5)).isEqualTo(Verdict.STALE);
    }

    @Test
    void restoredAnswersKeepTheirRepliesAndTheirEpochs() {
        ledger.restore("old", finalReport("old", "coord", 9));
        assertThat(ledger.admit("old", "coord", 9)).isEqualTo(Verdict.DONE);
        assertThat(ledger.admit("new", "coord", 8)).isEqualTo(Verdict.STALE);
        assertThat(ledger.highestEpoch("coord")).isEqualTo(9);
    }
}
