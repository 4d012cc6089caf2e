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
import io.vmflow.testsupport.hosts.Reports;
import io.vmflow.testsupport.hosts.TestGuest;
import io.vmflow.testsupport.hosts.TestHost;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two real agents (in this JVM) drive two real libvirtd test hosts, commanded through the real
 * broker and registry with no coordinator: each flow must leave the test guest running on the
 * destination with its heartbeat advancing and no corrupt word.
 */
class HostAgentFlowsIT {

    static AgentHarness h;
    static TestHost hostA;
    static TestHost hostB;
    static Reports reports;

    TestGuest guest;

    @BeforeAll
    static void startAgents() throws Exception {
        h = new AgentHarness();
        hostA = h.hostA;
        hostB = h.hostB;
        reports = h.reports;
    }

    @AfterAll
    static void stopAgents() {
        h.close();
    }

    @AfterEach
    void removeGuest() {
        if (guest != null) {
            guest.remove(hostA);
            guest.remove(hostB);
        }
    }

    static MigrationSpec.Builder spec(TestGuest g) {
        return h.spec(g);
    }

    static HostCommand.Builder command(String migrationId, String host, CommandType type, MigrationSpec s) {
        return h.command(migrationId, host, type, s);
    }

    static void send(HostCommand c) throws Exception {
        h.send(c);
    }

    static HostReport run(HostCommand c) throws Exception {
        return h.run(c);
    }

    static String newMigrationId() {
        return AgentHarness.newMigrationId();
    }

    @Test
    void managedDirectPhaseByPhaseMovesATransientGuestIntact() throws Exception {
        guest = new TestGuest("direct-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        guest.start(hostA, false);
        String id = newMigrationId();
        MigrationSpec s = spec(guest).setControlFlow(ControlFlow.MANAGED_DIRECT).build();

        HostReport begin = run(command(id, "hostA", CommandType.BEGIN, s).build());
        assertThat(begin.getKind()).as("%s", begin).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(begin.getDomainXml()).contains(guest.uuid());
        assertThat(begin.getGuest().getPersistent()).isFalse();

        HostReport prepare = run(command(id, "hostB", CommandType.PREPARE, s)
                .setDomainXml(begin.getDomainXml())
                .setPeerHost("hostA")
                .build());
        assertThat(prepare.getKind()).as("%s", prepare).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(prepare.getMigrationUri()).isEqualTo("tcp://" + hostB.migrationAddress());
        long migrationNetworkBefore = hostB.hasMigrationNetwork() ? hostB.migrationNetworkRxBytes() : 0;

        HostReport perform = run(command(id, "hostA", CommandType.PERFORM, s)
                .setMigrationUri(prepare.getMigrationUri())
                .setPeerHost("hostB")
                .build());
        assertThat(perform.getKind()).as("%s", perform).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(perform.getFigures().getDataTotalBytes()).isPositive();
        assertThat(perform.getFigures().getDowntimeMs()).isNotNull();

        if (hostB.hasMigrationNetwork()) {
            assertThat(hostB.migrationNetworkRxBytes() - migrationNetworkBefore)
                    .as("the memory stream took the migration network (seed: several NICs)")
                    .isGreaterThan(perform.getFigures().getMemoryProcessedBytes() / 2);
        }

        HostReport finish = run(command(id, "hostB", CommandType.FINISH, s).build());
        assertThat(finish.getKind()).as("%s", finish).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        HostReport confirm = run(command(id, "hostA", CommandType.CONFIRM, s).build());
        assertThat(confirm.getKind()).as("%s", confirm).isEqualTo(ReportKind.COMMAND_SUCCEEDED);

        guest.assertRunningIntact(hostB);
        assertThat(guest.observe(hostA))
                .as("transient guest gone from the source")
                .isEmpty();
        assertThat(guest.observe(hostB))
                .hasValueSatisfying(o -> assertThat(o.persistent()).isFalse());
        assertThat(reports.forMigration(id)).extracting(HostReport::getKind).contains(ReportKind.COMMAND_ACCEPTED);
    }

    @Test
    void peerToPeerIsOneCommandAndTheSourceAgentDrivesTheDestinationAgent() throws Exception {
        guest = new TestGuest("p2p-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        guest.start(hostA, true);
        String id = newMigrationId();
        MigrationSpec s = spec(guest)
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .setPersistDest(true)
                .setUndefineSource(true)
                .build();

        HostReport done = run(command(id, "hostA", CommandType.HANDOFF_PEER_TO_PEER, s)
                .setPeerHost("hostB")
                .build());

        assertThat(done.getKind()).as("%s", done).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(reports.forMigration(id)).anySatisfy(r -> {
            assertThat(r.getHostId()).isEqualTo("hostB");
            assertThat(r.getCommandType()).isEqualTo(CommandType.PREPARE);
            assertThat(r.getKind()).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        });
        guest.assertRunningIntact(hostB);
        assertThat(guest.observe(hostB))
                .hasValueSatisfying(o -> assertThat(o.persistent()).isTrue());
        assertThat(guest.observe(hostA)).as("source config undefined").isEmpty();
    }

    @Test
    void aCommandDeliveredTwiceMigratesOnceAndGetsTheSameReply() throws Exception {
        guest = new TestGuest("twice-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        guest.start(hostA, false);
        String id = newMigrationId();
        HostCommand c = command(
                        id,
                        "hostA",
                        CommandType.HANDOFF_PEER_TO_PEER,
                        spec(guest)
                                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                                .build())
                .setPeerHost("hostB")
                .build();

        send(c);
        send(c);
        HostReport first = reports.awaitFinal(c.getCommandId());
        send(c);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> reports.forCommand(c.getCommandId()).stream()
                                .filter(r -> Reports.isFinal(r.getKind()))
                                .count()
                        >= 2);

        assertThat(first.getKind()).as("%s", first).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        List<HostReport> mine = reports.forCommand(c.getCommandId());
        assertThat(mine)
                .filteredOn(r -> r.getKind() == ReportKind.COMMAND_ACCEPTED)
                .hasSize(1);
        assertThat(mine)
                .filteredOn(r -> Reports.isFinal(r.getKind()))
                .allSatisfy(r -> assertThat(r.getReportId()).isEqualTo(first.getReportId()));
        assertThat(reports.forMigration(id))
                .filteredOn(
                        r -> r.getCommandType() == CommandType.PREPARE && r.getKind() == ReportKind.COMMAND_ACCEPTED)
                .hasSize(1);
        guest.assertRunningIntact(hostB);
    }

    @Test
    void anAbortDuringRunningLeavesTheGuestRunningIntactOnTheSource() throws Exception {
        guest = new TestGuest("abort-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=32");
        guest.start(hostA, false);
        String id = newMigrationId();
        MigrationSpec s = spec(guest)
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .setBandwidthMiBps(2L)
                .build();
        HostCommand handoff = command(id, "hostA", CommandType.HANDOFF_PEER_TO_PEER, s)
                .setPeerHost("hostB")
                .build();
        send(handoff);
        await().atMost(Duration.ofMinutes(2))
                .until(() -> reports.forCommand(handoff.getCommandId()).stream()
                        .anyMatch(r -> r.getKind() == ReportKind.PROGRESS));

        HostReport tune = run(command(
                        id,
                        "hostA",
                        CommandType.TUNE,
                        MigrationSpec.newBuilder(s)
                                .setOnTimeout(io.vmflow.avro.TimeoutPolicy.RAISE_MAX_DOWNTIME)
                                .build())
                .build());
        assertThat(tune.getKind()).as("%s", tune).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(tune.getDetails()).containsEntry("maxDowntimeMs", "900");
        HostReport abort = run(command(id, "hostA", CommandType.ABORT, s).build());
        HostReport migration = reports.awaitFinal(handoff.getCommandId());

        assertThat(abort.getKind()).as("%s", abort).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(abort.getDetails()).containsEntry("jobAborted", "true");
        assertThat(migration.getKind()).isEqualTo(ReportKind.COMMAND_FAILED);
        assertThat(migration.getReason().getCode()).isEqualTo("MIGRATION_ABORTED");
        guest.assertRunningIntact(hostA);
        assertThat(guest.observe(hostB))
                .as("nothing left running on the destination")
                .satisfiesAnyOf(
                        o -> assertThat(o).isEmpty(),
                        o -> assertThat(o.get().active()).isFalse());
    }

    @Test
    void aCommandFromAStaleEpochIsRefusedWithoutEffect() throws Exception {
        String id = newMigrationId();
        MigrationSpec s = MigrationSpec.newBuilder()
                .setGuest("no-such-guest")
                .setSourceHost("hostA")
                .build();
        HostReport current = run(command(id, "hostA", CommandType.BEGIN, s)
                .setIssuer("it-fencing")
                .setEpoch(10)
                .setCommandId(id + ":new")
                .build());
        HostReport stale = run(command(id, "hostA", CommandType.BEGIN, s)
                .setIssuer("it-fencing")
                .setEpoch(9)
                .setCommandId(id + ":old")
                .build());

        assertThat(current.getReason().getCode()).isEqualTo("GUEST_NOT_FOUND");
        assertThat(stale.getKind()).isEqualTo(ReportKind.COMMAND_REFUSED);
        assertThat(stale.getReason().getCode()).isEqualTo("STALE_EPOCH");
        assertThat(reports.forCommand(id + ":old")).noneMatch(r -> r.getKind() == ReportKind.COMMAND_ACCEPTED);
    }

    @Test
    void libvirtErrorsBecomeSpecificReasonCodesAndTheGuestKeepsRunning() throws Exception {
        guest = new TestGuest("errors-" + UUID.randomUUID().toString().substring(0, 6), 64, "idle");
        guest.start(hostA, false);
        String id = newMigrationId();

        HostReport sameHost = run(command(
                        id,
                        "hostA",
                        CommandType.PERFORM,
                        spec(guest).setDestinationUri(hostA.libvirtUri()).build())
                .setCommandId(id + ":same")
                .build());
        HostReport unreachable = run(command(
                        id,
                        "hostA",
                        CommandType.PERFORM,
                        spec(guest)
                                .setDestinationUri("qemu+tcp://10.250.0.99/system")
                                .build())
                .setCommandId(id + ":unreachable")
                .build());
        HostReport unknownGuest = run(command(
                        id,
                        "hostA",
                        CommandType.HANDOFF_PEER_TO_PEER,
                        spec(guest).setGuest("no-such-guest").build())
                .setPeerHost("hostB")
                .setCommandId(id + ":unknown")
                .build());
        HostReport noDestination = run(command(
                        id,
                        "hostA",
                        CommandType.PERFORM,
                        spec(guest).setDestinationUri(null).build())
                .setCommandId(id + ":nodest")
                .build());

        assertThat(sameHost.getReason().getCode()).as("%s", sameHost).isEqualTo("SAME_HOST");
        assertThat(unreachable.getReason().getCode()).as("%s", unreachable).isEqualTo("HOST_UNREACHABLE");
        assertThat(unreachable.getReason().getMessage()).contains("10.250.0.99");
        assertThat(unknownGuest.getReason().getCode()).as("%s", unknownGuest).isEqualTo("GUEST_NOT_FOUND");
        assertThat(noDestination.getReason().getCode()).isEqualTo("MALFORMED_COMMAND");
        guest.assertRunningIntact(hostA);
    }

    @Test
    void healthReadinessAndMetricsAreServedOnTheManagementPort() throws Exception {
        String id = newMigrationId();
        run(command(
                        id,
                        "hostA",
                        CommandType.BEGIN,
                        MigrationSpec.newBuilder()
                                .setGuest("nobody")
                                .setSourceHost("hostA")
                                .build())
                .build());
        java.net.InetSocketAddress a = h.agentA().managementAddress();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, java.net.http.HttpResponse<String>> get = path -> {
            try {
                return http.send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://" + a.getHostString() + ":" + a.getPort() + path))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        assertThat(get.apply("/health").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> get.apply("/ready").statusCode() == 200);
        String metrics = get.apply("/metrics").body();
        assertThat(metrics)
                .containsPattern("vmflow_agent_commands_total\\{host=\"hostA\",outcome=\"failed\",service=\"agent\","
                        + "type=\"BEGIN\"} [1-9]")
                .containsPattern("vmflow_agent_libvirt_up\\{host=\"hostA\",service=\"agent\"} 1")
                .contains("# TYPE vmflow_agent_running_migrations gauge")
                .contains("# TYPE kafka_consumer_fetch_manager_records_lag_max gauge")
                .contains("# TYPE jvm_memory_used_bytes gauge");
        io.vmflow.testsupport.GrafanaDashboards.assertQueriesExported(
                io.vmflow.testsupport.GrafanaDashboards.named("host-agents"), metrics);
        io.vmflow.testsupport.SecretScan.assertClean("the agent's /metrics", metrics);
    }
}
