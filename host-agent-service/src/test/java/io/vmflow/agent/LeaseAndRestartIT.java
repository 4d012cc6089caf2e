package io.vmflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.ReportKind;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seed's rule for managed direct (a coordinator that stops renewing its lease makes the source
 * abort and resume the guest), and an agent restart that must not lose what it already answered.
 */
class LeaseAndRestartIT {

    static AgentHarness h;

    @BeforeAll
    static void startAgents() throws Exception {
        h = new AgentHarness();
    }

    @AfterAll
    static void stopAgents() {
        h.close();
    }

    @Test
    void whenTheCoordinatorsLeaseLapsesTheSourceAbortsAndTheGuestRunsOnIntact() throws Exception {
        TestGuest guest = new TestGuest("lease-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=32");
        String coordinator = "it-lease-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            guest.start(h.hostA, false);
            String id = AgentHarness.newMigrationId();
            h.publishLease(coordinator, h.epoch(), Instant.now().plusSeconds(2), List.of(id));
            MigrationSpec s = h.spec(guest)
                    .setControlFlow(ControlFlow.MANAGED_DIRECT)
                    .setBandwidthMiBps(2L)
                    .build();
            HostCommand perform = h.command(id, "hostA", CommandType.PERFORM, s)
                    .setIssuer(coordinator)
                    .setMigrationUri("tcp://" + h.hostB.migrationAddress())
                    .setLeaseGraceMs(1000L)
                    .build();
            h.send(perform);
            // the coordinator renews once while the migration runs, then "crashes"
            await().atMost(Duration.ofMinutes(2))
                    .until(() -> h.reports.forCommand(perform.getCommandId()).stream()
                            .anyMatch(r -> r.getKind() == ReportKind.PROGRESS));
            h.publishLease(coordinator, h.epoch(), Instant.now().plusSeconds(2), List.of(id));

            HostReport result = h.reports.awaitFinal(perform.getCommandId());

            assertThat(h.reports.forCommand(perform.getCommandId())).anySatisfy(r -> {
                assertThat(r.getKind()).isEqualTo(ReportKind.LEASE_LAPSED);
                assertThat(r.getReason().getCode()).isEqualTo("LEASE_LAPSED");
                assertThat(r.getDetails()).containsEntry("jobAborted", "true");
            });
            assertThat(result.getKind()).isEqualTo(ReportKind.COMMAND_FAILED);
            assertThat(result.getReason().getCode()).isEqualTo("LEASE_LAPSED");
            guest.assertRunningIntact(h.hostA);
        } finally {
            guest.remove(h.hostA);
            guest.remove(h.hostB);
        }
    }

    @Test
    void aLiveLeaseLetsTheMigrationFinish() throws Exception {
        TestGuest guest = new TestGuest("leased-" + UUID.randomUUID().toString().substring(0, 6), 64, "idle");
        String coordinator = "it-lease-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            guest.start(h.hostA, false);
            String id = AgentHarness.newMigrationId();
            h.publishLease(coordinator, h.epoch(), Instant.now().plusSeconds(600), List.of(id));
            HostReport result = h.run(
                    h.command(id, "hostA", CommandType.PERFORM, h.spec(guest).build())
                            .setIssuer(coordinator)
                            .setMigrationUri("tcp://" + h.hostB.migrationAddress())
                            .setLeaseGraceMs(1000L)
                            .build());
            assertThat(result.getKind()).as("%s", result).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
            guest.assertRunningIntact(h.hostB);
        } finally {
            guest.remove(h.hostA);
            guest.remove(h.hostB);
        }
    }

    @Test
    void aRestartedAgentAnswersARedeliveredCommandWithItsFirstReply() throws Exception {
        TestGuest guest =
                new TestGuest("restart-" + UUID.randomUUID().toString().substring(0, 6), 64, "idle");
        try {
            guest.start(h.hostA, false);
            String id = AgentHarness.newMigrationId();
            HostCommand handoff = h.command(
                            id,
                            "hostA",
                            CommandType.HANDOFF_PEER_TO_PEER,
                            h.spec(guest)
                                    .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                                    .build())
                    .setPeerHost("hostB")
                    .build();
            HostReport first = h.run(handoff);
            assertThat(first.getKind()).as("%s", first).isEqualTo(ReportKind.COMMAND_SUCCEEDED);

            h.restartAgentA();
            h.send(handoff);
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> h.reports.forCommand(handoff.getCommandId()).stream()
                                    .filter(r -> r.getKind() == ReportKind.COMMAND_SUCCEEDED)
                                    .count()
                            >= 2);

            assertThat(h.reports.forCommand(handoff.getCommandId()))
                    .filteredOn(r -> r.getKind() == ReportKind.COMMAND_ACCEPTED)
                    .hasSize(1);
            assertThat(h.reports.forCommand(handoff.getCommandId()))
                    .filteredOn(r -> r.getKind() == ReportKind.COMMAND_SUCCEEDED)
                    .allSatisfy(r -> assertThat(r.getReportId()).isEqualTo(first.getReportId()));
            guest.assertRunningIntact(h.hostB);
        } finally {
            guest.remove(h.hostA);
            guest.remove(h.hostB);
        }
    }
}
