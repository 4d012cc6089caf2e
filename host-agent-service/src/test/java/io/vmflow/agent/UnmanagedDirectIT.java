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
import io.vmflow.testsupport.hosts.IncomingQemu;
import io.vmflow.testsupport.hosts.TestGuest;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seed's unmanaged direct flow (scenario 4): the source agent hands the migration to the
 * hypervisor (QEMU) with the hypervisor URI and does not supervise it; the destination is a QEMU
 * its own host's management made ready, and no vmflow agent takes part there. The outcome is
 * observed afterwards and reported.
 */
class UnmanagedDirectIT {

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
    void theHypervisorMigratesTheGuestAloneAndTheOutcomeIsObservedAfterwards() throws Exception {
        TestGuest guest =
                new TestGuest("unmanaged-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        int port = 4400 + (int) (Math.random() * 90);
        guest.start(h.hostA, false);
        try (IncomingQemu destination = IncomingQemu.start(h.hostB, guest.xml(), port)) {
            String id = AgentHarness.newMigrationId();
            MigrationSpec s = MigrationSpec.newBuilder()
                    .setGuest(guest.name())
                    .setSourceHost("hostA")
                    .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                    .setMigrationUri("tcp://" + h.hostB.migrationAddress() + ":" + port)
                    .build();
            HostCommand handoff =
                    h.command(id, "hostA", CommandType.HANDOFF_UNMANAGED, s).build();
            await().atMost(Duration.ofSeconds(30)).until(() -> destination.isAlive() && destination.listening());

            HostReport handedOff = h.run(handoff);
            assertThat(handedOff.getKind()).as("%s", handedOff).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
            assertThat(handedOff.getDetails()).containsEntry("handedOff", "true");

            await().atMost(Duration.ofMinutes(3))
                    .until(() -> h.reports.forCommand(handoff.getCommandId()).stream()
                            .anyMatch(r -> r.getKind() == ReportKind.LIFECYCLE));
            HostReport observed = h.reports.forCommand(handoff.getCommandId()).stream()
                    .filter(r -> r.getKind() == ReportKind.LIFECYCLE)
                    .findFirst()
                    .orElseThrow();
            assertThat(observed.getDetails())
                    .as("%s", observed)
                    .containsEntry("hypervisorMigrationStatus", "completed");
            assertThat(observed.getFigures().getDowntimeMs()).isNotNull();
            assertThat(h.reports.forCommand(handoff.getCommandId()))
                    .as("QEMU's figures reported as progress while it migrated")
                    .anySatisfy(r -> {
                        assertThat(r.getKind()).isEqualTo(ReportKind.PROGRESS);
                        assertThat(r.getFigures().getDataTotalBytes()).isPositive();
                    });

            guest.assertHeartbeatIntact(h.hostB);
            assertThat(h.reports.forMigration(id))
                    .as("no agent controls the destination")
                    .allSatisfy(r -> assertThat(r.getHostId()).isEqualTo("hostA"));

            HostReport confirm =
                    h.run(h.command(id, "hostA", CommandType.CONFIRM, s).build());
            assertThat(confirm.getKind()).as("%s", confirm).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
            assertThat(confirm.getDetails()).containsKey("sourceCopy");
            assertThat(guest.observe(h.hostA))
                    .as("the paused source copy is gone")
                    .isEmpty();
            assertThat(destination.isAlive()).as(destination.log()).isTrue();
        } finally {
            guest.remove(h.hostA);
        }
    }

    @Test
    void aHypervisorUriThatCouldRunCommandsIsRefused() throws Exception {
        String id = AgentHarness.newMigrationId();
        MigrationSpec s = MigrationSpec.newBuilder()
                .setGuest("any")
                .setSourceHost("hostA")
                .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                .setMigrationUri("exec:touch /tmp/pwned")
                .build();
        HostReport r =
                h.run(h.command(id, "hostA", CommandType.HANDOFF_UNMANAGED, s).build());
        assertThat(r.getKind()).isEqualTo(ReportKind.COMMAND_FAILED);
        assertThat(r.getReason().getCode()).isEqualTo("MALFORMED_COMMAND");
        assertThat(r.getReason().getMessage()).contains("tcp://HOST:PORT");
    }
}
