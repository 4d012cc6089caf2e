package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every path of the three flows, and the refusals, through the pure state machine. */
class MigrationMachineTest {

    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    final MigrationMachine machine = MigrationMachine.withDefaults();

    /** Drives a migration and keeps everything it emitted. */
    final class Run {
        Migration m;
        final List<Effect> effects = new ArrayList<>();

        Run(ControlFlow flow, TimeoutPolicy policy) {
            MigrationSpec spec = MigrationSpec.newBuilder()
                    .setGuest("web-1")
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(flow)
                    .setOnTimeout(policy)
                    .setMigrationUri(flow == ControlFlow.UNMANAGED_DIRECT ? "tcp://10.251.0.2:4444" : null)
                    .build();
            m = Migration.requested("mig-1", "req-1", "alice", spec);
        }

        Run(ControlFlow flow) {
            this(flow, TimeoutPolicy.ABORT);
        }

        Run in(Input input) {
            Step s = machine.on(m, input);
            m = s.migration();
            effects.addAll(s.effects());
            return this;
        }

        Run start() {
            return in(new Input.Planned(m.spec(), m.migrationUri(), 1L << 30)).in(new Input.Admitted(T0));
        }

        Run report(String host, CommandType type, ReportKind kind) {
            return report(host, type, kind, null, Map.of());
        }

        Run report(String host, CommandType type, ReportKind kind, Reason reason, Map<String, String> details) {
            return in(new Input.Report(
                    host,
                    type,
                    kind,
                    reason,
                    new JobFigures(),
                    details,
                    type == CommandType.PREPARE ? "tcp://10.251.0.2" : null,
                    type == CommandType.BEGIN ? "<domain/>" : null,
                    T0.plusSeconds(1)));
        }

        Run progress(String host, CommandType type, long remaining, Instant at) {
            JobFigures f = JobFigures.newBuilder()
                    .setDataTotalBytes(1000L)
                    .setDataRemainingBytes(remaining)
                    .build();
            return in(new Input.Report(host, type, ReportKind.PROGRESS, null, f, Map.of(), null, null, at));
        }

        List<MigrationPhase> phases() {
            List<MigrationPhase> p = new ArrayList<>();
            effects.stream()
                    .filter(e -> e instanceof Effect.Transition)
                    .map(e -> ((Effect.Transition) e).to())
                    .forEach(p::add);
            return p;
        }

        List<String> commands() {
            return effects.stream()
                    .filter(e -> e instanceof Effect.Command)
                    .map(e -> (Effect.Command) e)
                    .map(c -> c.type() + "@" + c.hostId())
                    .toList();
        }

        List<String> refusals() {
            return effects.stream()
                    .filter(e -> e instanceof Effect.Refused)
                    .map(e -> ((Effect.Refused) e).why())
                    .toList();
        }

        List<Long> sequences() {
            return effects.stream()
                    .filter(e -> e instanceof Effect.Transition)
                    .map(e -> ((Effect.Transition) e).sequence())
                    .toList();
        }
    }

    @Test
    void managedDirectGoesPhaseByPhaseWithCommandsToBothAgents() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.BEGIN, ReportKind.COMMAND_ACCEPTED)
                .report("hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED)
                .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED)
                .progress("hostA", CommandType.PERFORM, 500, T0.plusSeconds(2))
                .report("hostA", CommandType.PERFORM, ReportKind.COMMAND_SUCCEEDED)
                .report("hostB", CommandType.FINISH, ReportKind.COMMAND_SUCCEEDED)
                .report("hostA", CommandType.CONFIRM, ReportKind.COMMAND_SUCCEEDED);

        assertThat(r.phases())
                .containsExactly(
                        ACCEPTED,
                        SCHEDULED,
                        PREPARING_TARGET,
                        TARGET_READY,
                        RUNNING,
                        RUNNING,
                        FINISHING,
                        CONFIRMING,
                        SUCCEEDED);
        assertThat(r.commands())
                .containsExactly("BEGIN@hostA", "PREPARE@hostB", "PERFORM@hostA", "FINISH@hostB", "CONFIRM@hostA");
        assertThat(r.sequences()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(r.m.migrationUri()).isEqualTo("tcp://10.251.0.2");
        assertThat(r.refusals()).isEmpty();
    }

    @Test
    void managedDirectFailsAtEachPhaseWithTheAgentsReason() {
        for (CommandType failing : List.of(
                CommandType.BEGIN, CommandType.PREPARE, CommandType.PERFORM, CommandType.FINISH, CommandType.CONFIRM)) {
            Run r = new Run(ControlFlow.MANAGED_DIRECT).start();
            for (CommandType t : List.of(
                    CommandType.BEGIN,
                    CommandType.PREPARE,
                    CommandType.PERFORM,
                    CommandType.FINISH,
                    CommandType.CONFIRM)) {
                String host = t == CommandType.PREPARE || t == CommandType.FINISH ? "hostB" : "hostA";
                if (t == failing) {
                    r.report(host, t, ReportKind.COMMAND_FAILED, new Reason("HYPERVISOR_ERROR", "boom"), Map.of());
                    break;
                }
                r.report(host, t, ReportKind.COMMAND_SUCCEEDED);
            }
            assertThat(r.m.phase()).as("failing %s", failing).isEqualTo(FAILED);
            Effect.Transition last = (Effect.Transition) r.effects.stream()
                    .filter(e -> e instanceof Effect.Transition)
                    .reduce((a, b) -> b)
                    .orElseThrow();
            assertThat(last.reason().getCode()).isEqualTo("HYPERVISOR_ERROR");
        }
    }

    @Test
    void aLapsedLeaseEndsManagedDirectAbortedWithTheGuestOnTheSource() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED)
                .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED)
                .report("hostA", CommandType.PERFORM, ReportKind.LEASE_LAPSED)
                .report(
                        "hostA",
                        CommandType.PERFORM,
                        ReportKind.COMMAND_FAILED,
                        new Reason("LEASE_LAPSED", "aborted"),
                        Map.of());
        assertThat(r.phases()).endsWith(RUNNING, ABORTING, ABORTED);
    }

    @Test
    void aGuestLeftPausedIsItsOwnFinalPhase() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED)
                .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED)
                .report(
                        "hostA",
                        CommandType.PERFORM,
                        ReportKind.COMMAND_FAILED,
                        new Reason("GUEST_LEFT_PAUSED", "could not resume on hostA"),
                        Map.of());
        assertThat(r.m.phase()).isEqualTo(GUEST_LEFT_PAUSED);
        assertThat(r.m.phase().isFinal()).isTrue();
    }

    @Test
    void peerToPeerIsOneCommandAndFollowsBothAgentsReports() {
        Run r = new Run(ControlFlow.MANAGED_PEER_TO_PEER)
                .start()
                .report("hostA", CommandType.HANDOFF_PEER_TO_PEER, ReportKind.COMMAND_ACCEPTED)
                .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_ACCEPTED)
                .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED)
                .progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 600, T0.plusSeconds(2))
                .progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 200, T0.plusSeconds(3))
                .report("hostB", CommandType.FINISH, ReportKind.COMMAND_ACCEPTED)
                .report("hostB", CommandType.FINISH, ReportKind.COMMAND_SUCCEEDED)
                .report("hostA", CommandType.HANDOFF_PEER_TO_PEER, ReportKind.COMMAND_SUCCEEDED);

        assertThat(r.phases())
                .containsExactly(
                        ACCEPTED, SCHEDULED, PREPARING_TARGET, TARGET_READY, RUNNING, RUNNING, FINISHING, SUCCEEDED);
        assertThat(r.commands()).containsExactly("HANDOFF_PEER_TO_PEER@hostA");
        assertThat(r.refusals()).isEmpty();
    }

    @Test
    void peerToPeerPhasesNotReportedInTimeAreMarkedInferred() {
        Run r = new Run(ControlFlow.MANAGED_PEER_TO_PEER)
                .start()
                .report("hostA", CommandType.HANDOFF_PEER_TO_PEER, ReportKind.COMMAND_SUCCEEDED);
        assertThat(r.phases())
                .containsExactly(ACCEPTED, SCHEDULED, PREPARING_TARGET, TARGET_READY, RUNNING, FINISHING, SUCCEEDED);
        assertThat(r.effects)
                .filteredOn(e -> e instanceof Effect.Transition t && t.to() == RUNNING)
                .singleElement()
                .satisfies(e ->
                        assertThat(((Effect.Transition) e).reason().getCode()).isEqualTo(ReasonCode.INFERRED.name()));
    }

    @Test
    void peerToPeerFailureEndsFailedWithTheReason() {
        Run r = new Run(ControlFlow.MANAGED_PEER_TO_PEER)
                .start()
                .report(
                        "hostB",
                        CommandType.PREPARE,
                        ReportKind.COMMAND_FAILED,
                        new Reason("NAME_CONFLICT", "x"),
                        Map.of())
                .report(
                        "hostA",
                        CommandType.HANDOFF_PEER_TO_PEER,
                        ReportKind.COMMAND_FAILED,
                        new Reason("PEER_FAILED", "destination refused PREPARE"),
                        Map.of());
        assertThat(r.m.phase()).isEqualTo(FAILED);
    }

    @Test
    void unmanagedIsHandedOffThenObservedThenConfirmed() {
        Run r = new Run(ControlFlow.UNMANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.HANDOFF_UNMANAGED, ReportKind.COMMAND_SUCCEEDED)
                // what the source agent reads of QEMU's status while it migrates on its own
                .progress("hostA", CommandType.HANDOFF_UNMANAGED, 500, T0.plusSeconds(2))
                .report(
                        "hostA",
                        CommandType.HANDOFF_UNMANAGED,
                        ReportKind.LIFECYCLE,
                        null,
                        Map.of("hypervisorMigrationStatus", "completed"))
                .report("hostA", CommandType.CONFIRM, ReportKind.COMMAND_SUCCEEDED);
        assertThat(r.phases()).containsExactly(ACCEPTED, SCHEDULED, RUNNING, RUNNING, CONFIRMING, SUCCEEDED);
        assertThat(r.commands()).containsExactly("HANDOFF_UNMANAGED@hostA", "CONFIRM@hostA");
    }

    @Test
    void unmanagedObservedFailureEndsFailed() {
        Run r = new Run(ControlFlow.UNMANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.HANDOFF_UNMANAGED, ReportKind.COMMAND_SUCCEEDED)
                .report(
                        "hostA",
                        CommandType.HANDOFF_UNMANAGED,
                        ReportKind.LIFECYCLE,
                        null,
                        Map.of("hypervisorMigrationStatus", "failed", "hypervisorError", "Connection refused"));
        assertThat(r.m.phase()).isEqualTo(FAILED);
        assertThat(r.refusals()).isEmpty();
    }

    @Test
    void cancelBeforeAnythingStartedAbortsWithoutTouchingTheGuest() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .in(new Input.Planned(new Run(ControlFlow.MANAGED_DIRECT).m.spec(), null, 0))
                .in(new Input.Queued("hostA has 2 outbound migrations"))
                .in(new Input.Cancel("bob", "not today", T0));
        assertThat(r.phases()).containsExactly(ACCEPTED, QUEUED, ABORTED);
        assertThat(r.commands()).isEmpty();
    }

    @Test
    void cancelWhileRunningAbortsOnTheSourceAndEndsAborted() {
        for (ControlFlow flow : List.of(ControlFlow.MANAGED_DIRECT, ControlFlow.MANAGED_PEER_TO_PEER)) {
            Run r = new Run(flow).start();
            CommandType moving =
                    flow == ControlFlow.MANAGED_DIRECT ? CommandType.PERFORM : CommandType.HANDOFF_PEER_TO_PEER;
            if (flow == ControlFlow.MANAGED_DIRECT) {
                r.report("hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED)
                        .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED);
            }
            r.progress("hostA", moving, 500, T0.plusSeconds(2))
                    .in(new Input.Cancel("bob", null, T0.plusSeconds(3)))
                    .report("hostA", CommandType.ABORT, ReportKind.COMMAND_SUCCEEDED)
                    .report(
                            "hostA",
                            moving,
                            ReportKind.COMMAND_FAILED,
                            new Reason("MIGRATION_ABORTED", "canceled"),
                            Map.of());
            assertThat(r.phases()).as("%s", flow).endsWith(ABORTING, ABORTED);
            assertThat(r.commands()).as("%s", flow).last().isEqualTo("ABORT@hostA");
            assertThat(r.refusals()).as("%s", flow).isEmpty();
        }
    }

    @Test
    void cancelBeforePerformEndsAbortedOnceTheSourceConfirmsTheAbort() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .start()
                .in(new Input.Cancel("bob", null, T0))
                .report("hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED);
        assertThat(r.phases()).endsWith(SCHEDULED, ABORTING, ABORTED);
    }

    @Test
    void anAbortThatLandsTooLateLetsTheMigrationSucceed() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED)
                .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED)
                .in(new Input.Cancel("bob", null, T0))
                .report("hostA", CommandType.PERFORM, ReportKind.COMMAND_SUCCEEDED);
        assertThat(r.m.phase()).isEqualTo(SUCCEEDED);
    }

    @Test
    void cancelIsRefusedWhenTheGuestAlreadyRunsOnTheDestination() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED)
                .report("hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED)
                .report("hostA", CommandType.PERFORM, ReportKind.COMMAND_SUCCEEDED)
                .in(new Input.Cancel("bob", null, T0));
        assertThat(r.m.phase()).isEqualTo(FINISHING);
        assertThat(r.refusals()).singleElement().asString().contains("too late");
    }

    @Test
    void completionTimeoutAbortsScaledByGuestMemory() {
        Run r = new Run(ControlFlow.MANAGED_PEER_TO_PEER)
                .start()
                .progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 900, T0.plusSeconds(1));
        for (int s = 10; s <= 140; s += 10) {
            r.progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 900 - s, T0.plusSeconds(s));
            r.in(new Input.Tick(T0.plusSeconds(s)));
        }
        assertThat(r.m.phase()).as("1 GiB: 150 s allowed").isEqualTo(RUNNING);
        r.progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 700, T0.plusSeconds(151));
        r.in(new Input.Tick(T0.plusSeconds(152)));
        assertThat(r.m.phase()).isEqualTo(ABORTING);
        assertThat(r.m.abortReason().getCode()).isEqualTo(ReasonCode.COMPLETION_TIMEOUT.name());
    }

    @Test
    void aStalledMigrationIsAborted() {
        Run r = new Run(ControlFlow.MANAGED_PEER_TO_PEER)
                .start()
                .progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 500, T0.plusSeconds(1))
                .progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 500, T0.plusSeconds(100))
                .in(new Input.Tick(T0.plusSeconds(140)));
        assertThat(r.m.phase()).isEqualTo(RUNNING);
        r.in(new Input.Tick(T0.plusSeconds(152)));
        assertThat(r.m.phase()).isEqualTo(ABORTING);
        assertThat(r.m.abortReason().getCode()).isEqualTo(ReasonCode.STALLED.name());
    }

    @Test
    void aTuningPolicyTunesOnceBeforeAborting() {
        Run r = new Run(ControlFlow.MANAGED_PEER_TO_PEER, TimeoutPolicy.RAISE_MAX_DOWNTIME).start();
        for (int s = 1; s <= 301; s += 10) {
            r.progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 100000 - s, T0.plusSeconds(s));
            r.in(new Input.Tick(T0.plusSeconds(s)));
        }
        assertThat(r.commands()).containsExactly("HANDOFF_PEER_TO_PEER@hostA", "TUNE@hostA", "ABORT@hostA");
    }

    @Test
    void anInternalErrorEndsOnlyThatMigrationAndStopsASourceThatMayBeCopying() {
        Run running = new Run(ControlFlow.MANAGED_PEER_TO_PEER)
                .start()
                .progress("hostA", CommandType.HANDOFF_PEER_TO_PEER, 900, T0.plusSeconds(1));
        Step s = machine.internalError(running.m, "java.lang.ArithmeticException: long overflow");
        assertThat(s.migration().phase()).isEqualTo(FAILED);
        assertThat(s.effects())
                .filteredOn(e -> e instanceof Effect.Command)
                .singleElement()
                .satisfies(e -> assertThat(((Effect.Command) e).type()).isEqualTo(CommandType.ABORT));
        assertThat(s.effects())
                .filteredOn(e -> e instanceof Effect.Transition)
                .singleElement()
                .satisfies(e -> {
                    assertThat(((Effect.Transition) e).reason().getCode()).isEqualTo("INTERNAL_ERROR");
                    assertThat(((Effect.Transition) e).reason().getMessage())
                            .contains("long overflow")
                            .contains("hostA was told to abort");
                });

        Run request = new Run(ControlFlow.MANAGED_DIRECT);
        request.in(new Input.Planned(request.m.spec(), null, 1L << 30));
        Run fresh = new Run(ControlFlow.MANAGED_DIRECT);
        assertThat(machine.internalError(fresh.m, "x").migration().phase())
                .as("still a request")
                .isEqualTo(REJECTED);
        assertThat(machine.internalError(request.m, "x").effects())
                .as("nothing was sent: nothing to abort")
                .noneMatch(e -> e instanceof Effect.Command);
    }

    @Test
    void validationFailureIsRejectedAndFinal() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .in(new Input.Invalid(new Reason("UNKNOWN_GUEST", "no such guest")))
                .in(new Input.Admitted(T0));
        assertThat(r.phases()).containsExactly(REJECTED);
        assertThat(r.refusals()).singleElement().asString().contains("final");
    }

    @Test
    void unexpectedReportsAreRefusedNotApplied() {
        Run r = new Run(ControlFlow.MANAGED_DIRECT)
                .start()
                .report("hostA", CommandType.CONFIRM, ReportKind.COMMAND_SUCCEEDED);
        assertThat(r.m.phase()).isEqualTo(SCHEDULED);
        assertThat(r.refusals()).singleElement().asString().contains("unexpected CONFIRM");
    }

    @Test
    void illegalTransitionsAreRefusedByThePhaseTable() {
        assertThat(REQUESTED.canMoveTo(RUNNING)).isFalse();
        assertThat(SUCCEEDED.canMoveTo(FAILED)).isFalse();
        assertThat(CONFIRMING.canMoveTo(ABORTING)).isFalse();
        assertThat(RUNNING.canMoveTo(RUNNING)).as("progress updates").isTrue();
        for (MigrationPhase p : MigrationPhase.values()) {
            if (p.isFinal()) {
                for (MigrationPhase q : MigrationPhase.values()) {
                    assertThat(p.canMoveTo(q)).isFalse();
                }
            }
        }
        assertThat(java.util.Arrays.stream(MigrationPhase.values()).map(Enum::name))
                .allSatisfy(n -> assertThat(io.vmflow.avro.Phase.valueOf(n)).isNotNull());
    }

    @Test
    void completionTimeoutHasAFloorAndFollowsTheRequest() {
        Run small = new Run(ControlFlow.MANAGED_DIRECT);
        small.in(new Input.Planned(small.m.spec(), null, 128L << 20));
        assertThat(machine.completionTimeout(small.m)).isEqualTo(Duration.ofSeconds(60));
        Run asked = new Run(ControlFlow.MANAGED_DIRECT);
        MigrationSpec spec = MigrationSpec.newBuilder(asked.m.spec())
                .setCompletionTimeoutSecondsPerGiB(800L)
                .build();
        asked.in(new Input.Planned(spec, null, 2L << 30));
        assertThat(machine.completionTimeout(asked.m)).isEqualTo(Duration.ofSeconds(1600));
    }

    @Test
    void aPlannersWarningRidesOnTheAcceptedTransition() {
        Run r = new Run(ControlFlow.UNMANAGED_DIRECT)
                .in(new Input.Planned(
                        new Run(ControlFlow.UNMANAGED_DIRECT).m.spec(),
                        "tcp://10.251.0.2:4444",
                        1L << 30,
                        new Reason("UNUSED_DESTINATION_URI", "not used")));
        assertThat(r.effects)
                .filteredOn(e -> e instanceof Effect.Transition t && t.to() == MigrationPhase.ACCEPTED)
                .singleElement()
                .satisfies(e ->
                        assertThat(((Effect.Transition) e).reason().getCode()).isEqualTo("UNUSED_DESTINATION_URI"));
    }
}
