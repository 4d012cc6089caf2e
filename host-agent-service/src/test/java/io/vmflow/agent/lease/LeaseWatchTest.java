package io.vmflow.agent.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.hypervisor.FakeHypervisor;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed's managed-direct rule on the source: a lapsed lease aborts, but only a lapse the broker proves. */
class LeaseWatchTest {

    static final Instant T = Instant.parse("2026-12-02T10:00:00Z");
    static final long GRACE = 10_000;

    final FakeHypervisor hypervisor = new FakeHypervisor("qemu+tcp://10.250.0.1/system");
    final List<HostReport> reports = new ArrayList<>();
    Instant now = T;
    Instant reachableSince = T.minusSeconds(60);
    Instant caughtUpAt = T;
    final LeaseWatch watch = new LeaseWatch(
            "hostA",
            hypervisor,
            reports::add,
            new Clock() {
                @Override
                public Instant instant() {
                    return now;
                }

                @Override
                public java.time.ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }
            },
            new LeaseWatch.BrokerView() {
                @Override
                public Instant reachableSince() {
                    return reachableSince;
                }

                @Override
                public Instant caughtUpAt() {
                    return caughtUpAt;
                }
            });

    static HostCommand perform(long epoch) {
        return HostCommand.newBuilder()
                .setCommandId("m-1:perform:hostA")
                .setMigrationId("m-1")
                .setHostId("hostA")
                .setType(CommandType.PERFORM)
                .setEpoch(epoch)
                .setIssuer("vmflow-coordinator")
                .setLeaseHolder("c-1")
                .setIssuedAt(T)
                .setLeaseGraceMs(GRACE)
                .setSpec(MigrationSpec.newBuilder()
                        .setGuest("web")
                        .setSourceHost("hostA")
                        .build())
                .build();
    }

    void lease(long epoch, Instant expires, String... migrations) {
        watch.offer(new CoordinatorLease("c-1", epoch, expires.minusSeconds(5), expires, List.of(migrations)));
    }

    @Test
    void aLeaseThatCoversTheMigrationKeepsItRunning() {
        hypervisor.add("web", GuestState.RUNNING, false).jobRunning = true;
        watch.watch(perform(3));
        lease(3, T.plusSeconds(5), "m-1");
        now = T.plusSeconds(14);
        caughtUpAt = now;
        watch.check();
        assertThat(reports).isEmpty();
        assertThat(hypervisor.calls).isEmpty();
    }

    @Test
    void aLapseTheBrokerProvesAbortsTheJobAndResumesTheGuestOnTheSource() {
        hypervisor.add("web", GuestState.PAUSED, false).jobRunning = true;
        watch.watch(perform(3));
        lease(3, T.plusSeconds(5), "m-1");
        now = T.plusSeconds(16); // the lease ran out at +5 s, its grace at +15 s
        caughtUpAt = now;
        watch.check();
        assertThat(hypervisor.calls).containsExactly("abortJob web", "resume web");
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.getKind()).isEqualTo(ReportKind.LEASE_LAPSED);
            assertThat(r.getReason().getCode()).isEqualTo(ReasonCode.LEASE_LAPSED.name());
        });
        assertThat(watch.lapsed("m-1:perform:hostA")).isTrue();
    }

    @Test
    void noAbortWhileTheBrokerDoesNotAnswerTheCoordinatorMayBeAlive() {
        hypervisor.add("web", GuestState.RUNNING, false).jobRunning = true;
        watch.watch(perform(3));
        lease(3, T.plusSeconds(5), "m-1");
        now = T.plusSeconds(60);
        reachableSince = null;
        watch.check();
        reachableSince = now.minusSeconds(2); // back, but not for a whole grace yet
        caughtUpAt = now;
        watch.check();
        assertThat(hypervisor.calls).isEmpty();
        assertThat(reports).isEmpty();
    }

    @Test
    void aLeaseOfAnOlderEpochOrWithoutTheMigrationDoesNotCoverIt() {
        hypervisor.add("web", GuestState.RUNNING, false).jobRunning = true;
        watch.watch(perform(4));
        lease(3, T.plusSeconds(600), "m-1");
        now = T.plusSeconds(11);
        caughtUpAt = now;
        watch.check();
        assertThat(reports)
                .as("an epoch-3 lease cannot cover an epoch-4 command")
                .hasSize(1);
    }

    @Test
    void aGuestThatCannotBeResumedIsReportedLeftPaused() {
        hypervisor.add("web", GuestState.PAUSED, false).jobRunning = true;
        hypervisor.failNext("ensureRunning", ReasonCode.HYPERVISOR_ERROR);
        watch.watch(perform(3));
        now = T.plusSeconds(11);
        caughtUpAt = now;
        watch.check();
        assertThat(reports)
                .singleElement()
                .satisfies(r -> assertThat(r.getReason().getCode()).isEqualTo(ReasonCode.GUEST_LEFT_PAUSED.name()));
    }
}
