package io.vmflow.coordinator.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.Reason;
import io.vmflow.avro.TunnelReport;
import io.vmflow.avro.TunnelReportKind;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RelayTrafficTest {

    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    static TunnelReport report(
            String host,
            TunnelReportKind kind,
            String session,
            String migration,
            long bytes,
            Reason reason,
            int second) {
        return TunnelReport.newBuilder()
                .setReportId(UUID.randomUUID().toString())
                .setHostId(host)
                .setKind(kind)
                .setReportedAt(T0.plusSeconds(second))
                .setSessionId(session)
                .setMigrationId(migration)
                .setPeer("hostB")
                .setBytes(bytes)
                .setReason(reason)
                .build();
    }

    @Test
    void totalsOpenStreamsAndThroughputPerRelayHost() {
        RelayTraffic traffic = new RelayTraffic();
        traffic.observe(report("hostA", TunnelReportKind.OPENED, "s1", "m1", 0, null, 0));
        traffic.observe(report("hostA", TunnelReportKind.FIRST_BYTE, "s1", "m1", 0, null, 1));
        traffic.observe(report("hostA", TunnelReportKind.CLOSED, "s1", "m1", 4_000_000_000L, null, 5));
        traffic.observe(report("hostA", TunnelReportKind.OPENED, "s2", "m2", 0, null, 6));
        traffic.observe(
                report("hostA", TunnelReportKind.REFUSED, null, null, 0, new Reason("WRONG_CREDENTIAL", "refused"), 7));

        assertThat(traffic.relays(m -> false)).containsExactly(new RelayTraffic.Relay("hostA", 4_000_000_000L, 1, 1));
        RelayTraffic.Stream first = traffic.recent().get(1);
        assertThat(first.sessionId()).isEqualTo("s1");
        assertThat(first.bytesPerSecond()).isEqualTo(1e9);
        assertThat(traffic.recent().get(0).bytesPerSecond()).as("still open").isEqualTo(-1);
    }

    @Test
    void aStreamWhoseRelayNeverSaidClosedStopsBeingOpenWhenItsMigrationEnded() {
        RelayTraffic traffic = new RelayTraffic();
        traffic.observe(report("hostA", TunnelReportKind.OPENED, "s1", "m1", 0, null, 0)); // relay killed later
        traffic.observe(report("hostA", TunnelReportKind.OPENED, "s2", "m2", 0, null, 1));

        assertThat(traffic.relays(m -> false).get(0).open()).isEqualTo(2);
        assertThat(traffic.relays(Set.of("m1")::contains).get(0).open())
                .as("m1 failed: its stream is gone")
                .isEqualTo(1);
    }
}
