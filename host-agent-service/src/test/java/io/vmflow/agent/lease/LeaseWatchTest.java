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
        lease("c-1", epoch, expires, migrations);
    }

    void lease(String coordinator, long epoch, Instant expires, String... migrations) {
        watch.offer(new CoordinatorLease(coordinator, epoch, expires.minusSeconds(5), expires, List.of(migrations)));
    }

    void at(Instant t) {
        now = t;
        caughtUpAt = t;
        watch.check();
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
    void aLeaseWithoutTheMigrationDoesNotCoverIt() {
        hypervisor.add("web", GuestState.RUNNING, false).jobRunning = true;
        watch.watch(perform(4));
        lease(4, T.plusSeconds(600), "m-2");
        at(T.plusSeconds(11));
        assertThat(reports).as("the watch started at T, the grace is 10 s").hasSize(1);
    }

    @Test
    void afterARebalanceTheNewOwnersLeaseCoversTheMigrationTheOldOwnerIssued() {
        hypervisor.add("web", GuestState.RUNNING, false).jobRunning = true;
        watch.watch(perform(3)); // issued by c-1 in generation 3
        lease("c-1", 3, T.plusSeconds(5), "m-1");
        // generation 4: m-1's partition moved to c-2; c-1 lives on without it
        lease("c-1", 4, T.plusSeconds(30), "m-9");
        lease("c-2", 4, T.plusSeconds(8), "m-1");
        at(T.plusSeconds(17)); // past c-1's old lease and its grace, within c-2's
        lease("c-2", 4, T.plusSeconds(60), "m-1");
        lease("c-1", 4, T.plusSeconds(60), "m-9");
        at(T.plusSeconds(40));
        assertThat(reports).isEmpty();
        assertThat(hypervisor.calls).isEmpty();
        // when the owner (c-2) stops renewing, c-1's live lease without m-1 does not keep it alive
        at(T.plusSeconds(71));
        assertThat(reports)
                .singleElement()
                .satisfies(r -> assertThat(r.getReason().getMessage()).contains("the lease of c-2 lapsed"));
    }

    @Test
    void eachCoordinatorsLatestRecordCountsNotTheHighestEpochItEverWrote() {
        hypervisor.add("web", GuestState.RUNNING, false).jobRunning = true;
        watch.watch(perform(1));
        lease("c-1", 900, T.plusSeconds(3), "m-1"); // from a consumer group since deleted
        lease("c-1", 1, T.plusSeconds(40), "m-1"); // the group now starts again from generation 1
        at(T.plusSeconds(30));
        assertThat(reports)
                .as("the latest record, epoch 1, covers m-1 to +40 s")
                .isEmpty();
        lease("c-1", 1, T.plusSeconds(41), "m-2"); // c-1 no longer owns m-1, nobody else lists it
        at(T.plusSeconds(51));
        assertThat(reports)
                .as("covered until +41 s, the last lease that listed it")
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
