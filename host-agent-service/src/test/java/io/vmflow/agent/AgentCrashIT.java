package io.vmflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.agent.testhosts.AgentProcess;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The source agent killed with SIGKILL in the middle of a migration, then started again: what it
 * answers is what libvirt says, never a guess. Peer-to-peer survives its client (libvirtd carries on)
 * and is reported arrived; managed direct dies with its client (libvirt cancels the job) and is
 * reported as the failure it verifiably is, with the guest intact where it runs.
 */
class AgentCrashIT {

    static AgentHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = new AgentHarness(host -> Map.of(), false); // hostA's agent: a process of its own, killed here
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void aPeerToPeerMigrationSurvivesTheSourceAgentsKillAndIsReportedArrived() throws Exception {
        TestGuest guest =
                new TestGuest("crash-p2p-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=4");
        try {
            guest.start(h.hostA, false);
            String id = AgentHarness.newMigrationId();
            HostCommand handoff = h.command(
                            id,
                            "hostA",
                            CommandType.HANDOFF_PEER_TO_PEER,
                            h.spec(guest)
                                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                                    .setBandwidthMiBps(32L)
                                    .build())
                    .setPeerHost("hostB")
                    .build();
            HostReport result = killMidMigrationAndRestart(handoff);
            assertThat(result.getKind()).as("%s", result).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
            assertThat(result.getDetails().get("reattached")).contains("completed while agent hostA was down");
            guest.assertRunningIntact(h.hostB);
            assertThat(guest.observe(h.hostA).map(TestGuest.Observed::active))
                    .as("not on the source")
                    .isNotEqualTo(java.util.Optional.of(true));
        } finally {
            guest.remove(h.hostA);
            guest.remove(h.hostB);
        }
    }

    @Test
    void aManagedDirectMigrationDiesWithItsClientAndIsReportedFailedWithTheGuestOnTheSource() throws Exception {
        TestGuest guest =
                new TestGuest("crash-md-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=4");
        try {
            guest.start(h.hostA, false);
            String id = AgentHarness.newMigrationId();
            HostCommand perform = h.command(
                            id,
                            "hostA",
                            CommandType.PERFORM,
                            h.spec(guest)
                                    .setControlFlow(ControlFlow.MANAGED_DIRECT)
                                    .setBandwidthMiBps(32L)
                                    .build())
                    .setPeerHost("hostB")
                    .setMigrationUri("tcp://" + h.hostB.migrationAddress())
                    .build();
            HostReport result = killMidMigrationAndRestart(perform);
            assertThat(result.getKind()).as("%s", result).isEqualTo(ReportKind.COMMAND_FAILED);
            assertThat(result.getReason().getCode()).isEqualTo(ReasonCode.AGENT_RESTARTED.name());
            assertThat(result.getReason().getMessage()).containsAnyOf("it runs here", "is resumed");
            guest.assertRunningIntact(h.hostA);
            assertThat(guest.observe(h.hostB).map(TestGuest.Observed::active))
                    .as("not on the destination")
                    .isNotEqualTo(java.util.Optional.of(true));
        } finally {
            guest.remove(h.hostA);
            guest.remove(h.hostB);
        }
    }

    /** Sends the command to a hostA agent process, kills it -9 once the migration runs, starts a new one. */
    private static HostReport killMidMigrationAndRestart(HostCommand c) throws Exception {
        AgentProcess first = AgentProcess.start(h.environment(h.hostA));
        try {
            h.send(c);
            await().atMost(Duration.ofMinutes(2))
                    .until(() -> h.reports.forCommand(c.getCommandId()).stream()
                            .anyMatch(r -> r.getKind() == ReportKind.PROGRESS));
            first.kill();
        } finally {
            first.close();
        }
        assertThat(h.reports.forCommand(c.getCommandId()).stream().map(HostReport::getKind))
                .as("no answer before the restart")
                .noneMatch(AgentCrashIT::isFinal);
        try (AgentProcess second = AgentProcess.start(h.environment(h.hostA))) {
            HostReport result = h.reports.awaitFinal(c.getCommandId());
            assertThat(second.log()).contains("answered after a restart");
            return result;
        }
    }

    private static boolean isFinal(ReportKind k) {
        return k == ReportKind.COMMAND_SUCCEEDED || k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED;
    }
}
