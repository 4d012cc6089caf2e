package io.vmflow.relay.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.ReportKind;
import io.vmflow.avro.Transport;
import io.vmflow.avro.TunnelReport;
import io.vmflow.avro.TunnelReportKind;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.GrafanaDashboards;
import io.vmflow.testsupport.hosts.TestGuest;
import io.vmflow.testsupport.hosts.TestHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tunnelled migrations for real: two real agents drive the two test hosts' libvirtd, and QEMU's
 * migration stream flows source QEMU -> unix socket -> source relay -> TLS 1.3 (mutual
 * authentication) -> destination relay -> unix socket -> destination QEMU. The relays are real
 * processes reading their sessions from the real broker; the guest's own integrity check decides.
 */
class TunnelledMigrationIT {

    static Path pki;
    static RelayProcess relayA;
    static RelayProcess relayB;
    static AgentHarness h;
    static TopicTail<TunnelReport> tail;
    static final List<TunnelReport> tunnelReports = new CopyOnWriteArrayList<>();

    TestGuest guest;

    @BeforeAll
    static void start() throws Exception {
        pki = RelayProcess.devPki(Path.of(".."), "hostA", "hostB");
        relayA = RelayProcess.forTestHost(TestHost.load("hostA"), pki).start();
        relayB = RelayProcess.forTestHost(TestHost.load("hostB"), pki).start();
        Map<String, RelayProcess> relays = Map.of("hostA", relayA, "hostB", relayB);
        h = new AgentHarness(host -> relays.get(host.id()).agentEnv(pki));
        Endpoints e = Endpoints.fromEnvironment();
        tail = new TopicTail<>(
                        "it-tunnel-reports",
                        e,
                        TopicCatalogue.TUNNEL_REPORTS.name(),
                        TopicTail.From.END,
                        new WireFormat(e.registry()),
                        TunnelReport.class,
                        (r, v) -> tunnelReports.add(v),
                        k -> {})
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (tail != null) {
            tail.close();
        }
        if (h != null) {
            h.close();
        }
        relayA.close();
        relayB.close();
    }

    @AfterEach
    void removeGuest() {
        if (guest != null) {
            guest.remove(h.hostA);
            guest.remove(h.hostB);
        }
    }

    /** A tunnelled spec with QEMU's default max downtime (300 ms): as many passes as it takes. */
    MigrationSpec.Builder tunnelled(TestGuest g, ControlFlow flow) {
        return h.spec(g).setControlFlow(flow).setTransport(Transport.TUNNELLED);
    }

    static List<TunnelReport> reportsOf(String migrationId) {
        return tunnelReports.stream()
                .filter(r -> migrationId.equals(r.getMigrationId()))
                .toList();
    }

    /** Both relays opened the session, saw bytes, and closed it whole with the same count. */
    static void assertCarriedWhole(String migrationId, long atLeast) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> reportsOf(migrationId).stream()
                                .filter(r -> r.getKind() == TunnelReportKind.CLOSED)
                                .count()
                        >= 2);
        List<TunnelReport> mine = reportsOf(migrationId);
        for (String host : List.of("hostA", "hostB")) {
            assertThat(mine)
                    .as("%s's tunnel reports", host)
                    .filteredOn(r -> r.getHostId().equals(host))
                    .extracting(TunnelReport::getKind)
                    .contains(TunnelReportKind.OPENED, TunnelReportKind.FIRST_BYTE, TunnelReportKind.CLOSED);
        }
        List<TunnelReport> closed = mine.stream()
                .filter(r -> r.getKind() == TunnelReportKind.CLOSED)
                .toList();
        assertThat(closed).allSatisfy(r -> {
            assertThat(r.getReason()).as("closed whole").isNull();
            assertThat(r.getBytes()).isGreaterThanOrEqualTo(atLeast);
        });
        assertThat(closed.get(0).getBytes())
                .as("both relays carried the same bytes")
                .isEqualTo(closed.get(1).getBytes());
    }

    @Test
    void peerToPeerTunnelledThroughTheRelaysArrivesIntact() throws Exception {
        guest = new TestGuest("tun-p2p-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        guest.start(h.hostA, false);
        String id = AgentHarness.newMigrationId();
        MigrationSpec s = tunnelled(guest, ControlFlow.MANAGED_PEER_TO_PEER).build();

        HostReport done = h.run(h.command(id, "hostA", CommandType.HANDOFF_PEER_TO_PEER, s)
                .setPeerHost("hostB")
                .setDestinationRelay(relayB.endpoint())
                .build());

        assertThat(done.getKind()).as("%s", done).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(done.getDetails())
                .containsKey("tunnelSession")
                .hasEntrySatisfying("transport", t -> assertThat(t).startsWith("vmflow relays"));
        guest.assertRunningIntact(h.hostB);
        assertThat(guest.observe(h.hostA)).isEmpty();
        assertCarriedWhole(id, 8L << 20);
        assertThat(relayB.metrics())
                .containsPattern("vmflow_relay_streams_completed_total\\{host=\"hostB\",service=\"relay\"} [1-9]");
        GrafanaDashboards.assertQueriesExported(GrafanaDashboards.named("transport-relays"), relayB.metrics());
        io.vmflow.testsupport.SecretScan.assertClean("the relay's /metrics", relayB.metrics());
    }

    @Test
    void managedDirectTunnelledThroughTheRelaysArrivesIntact() throws Exception {
        guest = new TestGuest("tun-direct-" + UUID.randomUUID().toString().substring(0, 6), 128, "ws=8");
        guest.start(h.hostA, true);
        String id = AgentHarness.newMigrationId();
        MigrationSpec s = tunnelled(guest, ControlFlow.MANAGED_DIRECT)
                .setPersistDest(true)
                .build();

        HostReport begin = h.run(h.command(id, "hostA", CommandType.BEGIN, s).build());
        HostReport prepare = h.run(h.command(id, "hostB", CommandType.PREPARE, s)
                .setDomainXml(begin.getDomainXml())
                .setPeerHost("hostA")
                .build());
        assertThat(prepare.getKind()).as("%s", prepare).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        HostReport perform = h.run(h.command(id, "hostA", CommandType.PERFORM, s)
                .setPeerHost("hostB")
                .setMigrationUri(prepare.getMigrationUri())
                .setDestinationRelay(relayB.endpoint())
                .build());
        assertThat(perform.getKind()).as("%s", perform).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(h.run(h.command(id, "hostB", CommandType.FINISH, s).build()).getKind())
                .isEqualTo(ReportKind.COMMAND_SUCCEEDED);
        assertThat(h.run(h.command(id, "hostA", CommandType.CONFIRM, s).build()).getKind())
                .isEqualTo(ReportKind.COMMAND_SUCCEEDED);

        guest.assertRunningIntact(h.hostB);
        assertThat(guest.observe(h.hostB))
                .hasValueSatisfying(o -> assertThat(o.persistent()).isTrue());
        assertCarriedWhole(id, 8L << 20);
    }

    @Test
    void aRelayKilledMidStreamFailsTheMigrationCleanlyWithTheGuestRunningOnTheSource() throws Exception {
        guest = new TestGuest("tun-kill-" + UUID.randomUUID().toString().substring(0, 6), 256, "ws=32");
        guest.start(h.hostA, false);
        String id = AgentHarness.newMigrationId();
        // a slow migration (capped at 4 MiB/s): still copying when the relay dies
        MigrationSpec s = tunnelled(guest, ControlFlow.MANAGED_PEER_TO_PEER)
                .setBandwidthMiBps(4L)
                .build();
        HostCommand handoff = h.command(id, "hostA", CommandType.HANDOFF_PEER_TO_PEER, s)
                .setPeerHost("hostB")
                .setDestinationRelay(relayB.endpoint())
                .build();
        h.send(handoff);
        await().atMost(Duration.ofMinutes(2))
                .until(() -> reportsOf(id).stream()
                        .anyMatch(r -> r.getKind() == TunnelReportKind.FIRST_BYTE
                                && r.getHostId().equals("hostB")));

        relayB.kill();
        HostReport failed = h.reports.awaitFinal(handoff.getCommandId());
        relayB.start(); // for the other tests

        assertThat(failed.getKind()).as("%s", failed).isEqualTo(ReportKind.COMMAND_FAILED);
        assertThat(failed.getReason().getMessage()).isNotBlank();
        guest.assertRunningIntact(h.hostA);
        assertThat(guest.observe(h.hostB))
                .as("nothing left running on the destination")
                .satisfiesAnyOf(
                        o -> assertThat(o).isEmpty(),
                        o -> assertThat(o.get().active()).isFalse());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> reportsOf(id).stream()
                        .anyMatch(r -> r.getKind() == TunnelReportKind.CLOSED
                                && r.getHostId().equals("hostA")
                                && r.getReason() != null));
    }
}
