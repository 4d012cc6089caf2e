package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The table of docs/phases.md, cell by cell: for each flow and each phase that waits for someone,
 * what its deadline does, and what a cancel does.
 */
class PhaseTableTest {

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final Duration STEP = MigrationMachine.DEFAULT_STEP_TIMEOUT;
    final MigrationMachine machine = MigrationMachine.withDefaults();

    /** A migration driven into one phase of one flow by the reports that lead there. */
    final class At {
        Migration m;
        final List<Effect> effects = new ArrayList<>();

        At(ControlFlow flow, MigrationPhase wanted) {
            // ABORTING: cancelled once the first command went out
            MigrationPhase phase = wanted == ABORTING ? SCHEDULED : wanted;
            MigrationSpec spec = MigrationSpec.newBuilder()
                    .setGuest("web-1")
                    .setSourceHost("hostA")
                    .setDestinationHost("hostB")
                    .setControlFlow(flow)
                    .setMigrationUri(flow == ControlFlow.UNMANAGED_DIRECT ? "tcp://10.251.0.2:49200" : null)
                    .build();
            m = Migration.requested("mig-1", "req-1", "alice", spec);
            in(new Input.Planned(spec, spec.getMigrationUri(), 1L << 30));
            if (phase == QUEUED) {
                in(new Input.Queued("hostA has 2 outgoing"));
            }
            if (phase.ordinal() >= SCHEDULED.ordinal() && phase != QUEUED) {
                in(new Input.Admitted(T0));
            }
            List<Object[]> path = switch (flow) {
                case MANAGED_DIRECT ->
                    List.of(
                            new Object[] {PREPARING_TARGET, "hostA", CommandType.BEGIN, ReportKind.COMMAND_SUCCEEDED},
                            new Object[] {RUNNING, "hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED},
                            new Object[] {FINISHING, "hostA", CommandType.PERFORM, ReportKind.COMMAND_SUCCEEDED},
                            new Object[] {CONFIRMING, "hostB", CommandType.FINISH, ReportKind.COMMAND_SUCCEEDED});
                case MANAGED_PEER_TO_PEER ->
                    List.of(
                            new Object[] {PREPARING_TARGET, "hostB", CommandType.PREPARE, ReportKind.COMMAND_ACCEPTED},
                            new Object[] {TARGET_READY, "hostB", CommandType.PREPARE, ReportKind.COMMAND_SUCCEEDED},
                            new Object[] {RUNNING, "hostA", CommandType.HANDOFF_PEER_TO_PEER, ReportKind.PROGRESS},
                            new Object[] {FINISHING, "hostB", CommandType.FINISH, ReportKind.COMMAND_ACCEPTED});
                case UNMANAGED_DIRECT ->
                    List.of(
                            new Object[] {RUNNING, "hostA", CommandType.HANDOFF_UNMANAGED, ReportKind.COMMAND_SUCCEEDED
                            },
                            new Object[] {CONFIRMING, "hostA", CommandType.HANDOFF_UNMANAGED, ReportKind.LIFECYCLE});
            };
            for (Object[] step : path) {
                if (m.phase() == phase || phase.ordinal() < ((MigrationPhase) step[0]).ordinal()) {
                    break;
                }
                report(
                        (String) step[1],
                        (CommandType) step[2],
                        (ReportKind) step[3],
                        Map.of("hypervisorMigrationStatus", "completed"));
            }
            if (wanted == ABORTING) {
                in(new Input.Cancel("bob", null, T0));
            }
            assertThat(m.phase()).as("set-up of %s %s", flow, wanted).isEqualTo(wanted);
            effects.clear();
        }

        At in(Input input) {
            Step s = machine.on(m, input);
            m = s.migration();
            effects.addAll(s.effects());
            return this;
        }

        At report(String host, CommandType type, ReportKind kind, Map<String, String> details) {
            JobFigures f = JobFigures.newBuilder()
                    .setDataTotalBytes(1000L)
                    .setDataRemainingBytes(900L)
                    .build();
            return in(new Input.Report(
                    host,
                    type,
                    kind,
                    null,
                    f,
                    details,
                    type == CommandType.PREPARE ? "tcp://10.251.0.2" : null,
                    type == CommandType.BEGIN ? "<domain/>" : null,
                    T0.plusSeconds(1)));
        }

        Reason lastReason() {
            return effects.stream()
                    .filter(e -> e instanceof Effect.Transition)
                    .map(e -> ((Effect.Transition) e).reason())
                    .reduce((a, b) -> b)
                    .orElse(null);
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
    }

    static Stream<Arguments> deadlines() {
        ControlFlow direct = ControlFlow.MANAGED_DIRECT;
        ControlFlow p2p = ControlFlow.MANAGED_PEER_TO_PEER;
        ControlFlow unmanaged = ControlFlow.UNMANAGED_DIRECT;
        return Stream.of(
                Arguments.of(direct, QUEUED, ABORTED, "QUEUE_TIMEOUT", List.of()),
                Arguments.of(p2p, QUEUED, ABORTED, "QUEUE_TIMEOUT", List.of()),
                Arguments.of(unmanaged, QUEUED, ABORTED, "QUEUE_TIMEOUT", List.of()),
                Arguments.of(direct, SCHEDULED, ABORTING, "STEP_TIMEOUT", List.of("ABORT@hostA")),
                Arguments.of(p2p, SCHEDULED, ABORTING, "STEP_TIMEOUT", List.of("ABORT@hostA")),
                Arguments.of(unmanaged, SCHEDULED, ABORTING, "STEP_TIMEOUT", List.of("ABORT@hostA")),
                Arguments.of(direct, PREPARING_TARGET, ABORTING, "STEP_TIMEOUT", List.of("ABORT@hostA")),
                Arguments.of(p2p, PREPARING_TARGET, ABORTING, "STEP_TIMEOUT", List.of("ABORT@hostA")),
                Arguments.of(p2p, TARGET_READY, ABORTING, "STEP_TIMEOUT", List.of("ABORT@hostA")),
                Arguments.of(unmanaged, RUNNING, ABORTING, "COMPLETION_TIMEOUT", List.of("ABORT@hostA")),
                Arguments.of(direct, FINISHING, FAILED, "STEP_TIMEOUT", List.of()),
                Arguments.of(p2p, FINISHING, FAILED, "STEP_TIMEOUT", List.of()),
                Arguments.of(direct, CONFIRMING, SUCCEEDED, "STEP_TIMEOUT", List.of()),
                Arguments.of(unmanaged, CONFIRMING, SUCCEEDED, "STEP_TIMEOUT", List.of()),
                Arguments.of(direct, ABORTING, FAILED, "STEP_TIMEOUT", List.of()),
                Arguments.of(p2p, ABORTING, FAILED, "STEP_TIMEOUT", List.of()),
                Arguments.of(unmanaged, ABORTING, FAILED, "STEP_TIMEOUT", List.of()));
    }

    @ParameterizedTest(name = "{0} {1}: deadline -> {2} ({3})")
    @MethodSource("deadlines")
    void everyPhaseThatWaitsHasADeadlineWithADefinedOutcome(
            ControlFlow flow, MigrationPhase phase, MigrationPhase outcome, String code, List<String> commands) {
        At at = new At(flow, phase);
        Duration deadline = machine.deadlineOf(at.m);
        at.in(new Input.Tick(T0.plus(deadline).minusSeconds(1), T0, T0));
        assertThat(at.m.phase()).as("before the deadline").isEqualTo(phase);
        at.in(new Input.Tick(T0.plus(deadline).plusSeconds(1), T0, T0));
        assertThat(at.m.phase()).isEqualTo(outcome);
        assertThat(at.lastReason()).as("the outcome says why").isNotNull();
        assertThat(at.lastReason().getCode()).isEqualTo(code);
        assertThat(at.commands()).isEqualTo(commands);
    }

    /**
     * A coordinator that was away (restarted, or cut off by an outage) saw no report meanwhile: no
     * clock counts that time, so nothing times out on the strength of reports it has not read yet.
     */
    @ParameterizedTest(name = "{0} {1}: the coordinator away for ten minutes")
    @MethodSource("deadlines")
    void noDeadlineCountsTheTimeTheCoordinatorCouldNotSee(
            ControlFlow flow, MigrationPhase phase, MigrationPhase outcome, String code, List<String> commands) {
        At at = new At(flow, phase);
        Duration deadline = machine.deadlineOf(at.m);
        Instant back = T0.plus(deadline).plusSeconds(600);
        at.in(new Input.Tick(back.plusSeconds(1), T0, back));
        assertThat(at.m.phase()).as("just back").isEqualTo(phase);
        at.in(new Input.Tick(back.plus(deadline).plusSeconds(1), T0, back));
        assertThat(at.m.phase()).as("a whole deadline after it came back").isEqualTo(outcome);
    }

    @org.junit.jupiter.api.Test
    void aRunningMigrationIsNotStalledOrTimedOutByTheCoordinatorsOwnAbsence() {
        At at = new At(ControlFlow.MANAGED_PEER_TO_PEER, RUNNING);
        Instant back = T0.plusSeconds(900);
        at.in(new Input.Tick(back.plusSeconds(5), T0, back));
        assertThat(at.m.phase()).isEqualTo(RUNNING);
        at.in(new Input.Tick(back.plusSeconds(155), T0, back));
        assertThat(at.m.phase()).as("no progress for 150 s it could see").isEqualTo(ABORTING);
        assertThat(at.lastReason().getCode()).isEqualTo(ReasonCode.STALLED.name());
    }

    static Stream<Arguments> cancels() {
        ControlFlow direct = ControlFlow.MANAGED_DIRECT;
        ControlFlow p2p = ControlFlow.MANAGED_PEER_TO_PEER;
        ControlFlow unmanaged = ControlFlow.UNMANAGED_DIRECT;
        List<Arguments> cells = new ArrayList<>();
        for (ControlFlow f : ControlFlow.values()) {
            cells.add(Arguments.of(f, ACCEPTED, ABORTED));
            cells.add(Arguments.of(f, QUEUED, ABORTED));
            cells.add(Arguments.of(f, SCHEDULED, ABORTING));
            cells.add(Arguments.of(f, RUNNING, ABORTING));
            cells.add(Arguments.of(f, ABORTING, null));
        }
        cells.add(Arguments.of(direct, PREPARING_TARGET, ABORTING));
        cells.add(Arguments.of(p2p, PREPARING_TARGET, ABORTING));
        cells.add(Arguments.of(p2p, TARGET_READY, ABORTING));
        cells.add(Arguments.of(direct, FINISHING, null));
        cells.add(Arguments.of(p2p, FINISHING, null));
        cells.add(Arguments.of(direct, CONFIRMING, null));
        cells.add(Arguments.of(unmanaged, CONFIRMING, null));
        return cells.stream();
    }

    /** null: refused, with the reason, and nothing changes. */
    @ParameterizedTest(name = "{0} {1}: cancel -> {2}")
    @MethodSource("cancels")
    void cancelIsDefinedInEveryPhase(ControlFlow flow, MigrationPhase phase, MigrationPhase outcome) {
        At at = new At(flow, phase);
        at.in(new Input.Cancel("bob", "maintenance called off", T0));
        if (outcome == null) {
            assertThat(at.m.phase()).isEqualTo(phase);
            assertThat(at.refusals()).singleElement().asString().isNotBlank();
            return;
        }
        assertThat(at.m.phase()).isEqualTo(outcome);
        assertThat(at.lastReason().getCode()).isEqualTo(ReasonCode.CANCELLED.name());
        assertThat(at.commands()).isEqualTo(outcome == ABORTING ? List.of("ABORT@hostA") : List.of());
    }

    @ParameterizedTest(name = "unmanaged abort, QEMU says {0}")
    @org.junit.jupiter.params.provider.CsvSource({
        "cancelled, ABORTED, CANCELLED",
        "failed, ABORTED, CANCELLED",
        "completed, CONFIRMING, ABORT_TOO_LATE"
    })
    void anUnmanagedCancelEndsAsQemuSays(String qemu, MigrationPhase outcome, String code) {
        At at = new At(ControlFlow.UNMANAGED_DIRECT, RUNNING);
        at.in(new Input.Cancel("bob", null, T0));
        at.report(
                "hostA",
                CommandType.HANDOFF_UNMANAGED,
                ReportKind.LIFECYCLE,
                Map.of("hypervisorMigrationStatus", qemu));
        assertThat(at.m.phase()).isEqualTo(outcome);
        assertThat(at.lastReason().getCode()).isEqualTo(code);
        if (outcome == CONFIRMING) {
            assertThat(at.commands()).containsExactly("ABORT@hostA", "CONFIRM@hostA");
        }
    }

    @ParameterizedTest(name = "{0}: cancelled, then the guest arrives anyway")
    @org.junit.jupiter.params.provider.EnumSource(
            value = MigrationPhase.class,
            names = {"SCHEDULED", "PREPARING_TARGET", "TARGET_READY", "RUNNING"})
    void aPeerToPeerMigrationThatArrivesDespiteTheCancelSucceedsSayingSo(MigrationPhase phase) {
        At at = new At(ControlFlow.MANAGED_PEER_TO_PEER, phase);
        at.in(new Input.Cancel("bob", null, T0));
        at.report("hostA", CommandType.HANDOFF_PEER_TO_PEER, ReportKind.COMMAND_SUCCEEDED, Map.of());
        assertThat(at.m.phase()).isEqualTo(SUCCEEDED);
        assertThat(at.lastReason().getCode()).isEqualTo(ReasonCode.ABORT_TOO_LATE.name());
        assertThat(at.lastReason().getMessage()).contains("cancelled by bob");
    }
}
