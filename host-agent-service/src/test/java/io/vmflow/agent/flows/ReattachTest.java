package io.vmflow.agent.flows;

import static io.vmflow.agent.flows.Commands.command;
import static io.vmflow.agent.flows.Commands.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.hypervisor.FakeHypervisor;
import io.vmflow.agent.report.Outcome;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An agent that restarted decides each interrupted command from what the hypervisors say, never a guess. */
class ReattachTest {

    final FakeHypervisor source = new FakeHypervisor(Commands.SOURCE_URI);
    final FakeHypervisor destination = new FakeHypervisor(Commands.DESTINATION_URI);
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final Reporter reporter = new Reporter("hostA", null, null, null);
    final UnmanagedHandoff unmanaged = new UnmanagedHandoff(source, reporter, scheduler, Duration.ofSeconds(1));
    final Reattach reattach = new Reattach(
            "hostA",
            source,
            new SourceSide(
                    source,
                    new ProgressSampler(source, reporter, scheduler, Duration.ofSeconds(1)),
                    null,
                    unmanaged,
                    null),
            new DestinationSide(source, List.of("10.251.0.1")));

    ReattachTest() {
        source.peers.put(Commands.DESTINATION_URI, destination);
    }

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    static HostCommand handoff() {
        return command(
                CommandType.HANDOFF_PEER_TO_PEER,
                spec("web").setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER).build());
    }

    @Test
    void aJobLibvirtStillRunsIsWatchedUntilItEnds() {
        source.add("web", GuestState.RUNNING, false).jobRunning = true;
        assertThat(reattach.inspect(handoff())).isEmpty();
        assertThat(source.calls).as("nothing touched while it runs").isEmpty();
    }

    @Test
    void aGuestThatArrivedIsReportedArrived() {
        destination.add("web", GuestState.RUNNING, false);
        Optional<Outcome> o = reattach.inspect(handoff());
        assertThat(o).hasValueSatisfying(v -> {
            assertThat(v.kind()).isEqualTo(ReportKind.COMMAND_SUCCEEDED);
            assertThat(v.details().get("reattached")).contains("completed while agent hostA was down");
        });
    }

    @Test
    void aGuestRunningHereIsTheFailureItVerifiablyIs() {
        source.add("web", GuestState.RUNNING, false);
        assertThat(reattach.inspect(handoff())).hasValueSatisfying(v -> {
            assertThat(v.kind()).isEqualTo(ReportKind.COMMAND_FAILED);
            assertThat(v.reason().getCode()).isEqualTo(ReasonCode.AGENT_RESTARTED.name());
            assertThat(v.reason().getMessage()).contains("it runs here");
        });
    }

    @Test
    void aSourceLeftPausedWithTheGuestNowhereElseIsResumed() {
        source.add("web", GuestState.PAUSED, true);
        assertThat(reattach.inspect(command(CommandType.PERFORM, spec("web").build())))
                .hasValueSatisfying(v -> {
                    assertThat(v.reason().getCode()).isEqualTo(ReasonCode.AGENT_RESTARTED.name());
                    assertThat(v.details()).containsEntry("guestOnSource", "resumed");
                });
        assertThat(source.calls).containsExactly("resume web");
    }

    @Test
    void aGuestOnNeitherHostIsSaidSoNamingBoth() {
        assertThat(reattach.inspect(handoff())).hasValueSatisfying(v -> {
            assertThat(v.reason().getCode()).isEqualTo(ReasonCode.GUEST_LEFT_PAUSED.name());
            assertThat(v.reason().getMessage()).contains("hostA: not defined").contains("hostB: not defined");
        });
    }

    @Test
    void aGuestOnBothHostsIsNeverCalledASuccess() {
        source.add("web", GuestState.RUNNING, false);
        destination.add("web", GuestState.RUNNING, false);
        assertThat(reattach.inspect(handoff())).hasValueSatisfying(v -> {
            assertThat(v.kind()).isEqualTo(ReportKind.COMMAND_FAILED);
            assertThat(v.reason().getMessage()).contains("both hosts");
        });
    }

    @Test
    void stepsThatOnlyReadAndCheckRunAgain() {
        source.add("web", GuestState.RUNNING, true);
        assertThat(reattach.inspect(command(CommandType.BEGIN, spec("web").build())))
                .hasValueSatisfying(v -> assertThat(v.kind()).isEqualTo(ReportKind.COMMAND_SUCCEEDED));
        assertThat(reattach.inspect(command(CommandType.PREPARE, spec("db").build())))
                .as("the destination has room and no guest of that name: PREPARE's checks pass again")
                .hasValueSatisfying(v -> assertThat(v.kind()).isEqualTo(ReportKind.COMMAND_SUCCEEDED));
    }

    @Test
    void confirmAndAbortRunAgainTheyAreIdempotent() {
        source.add("web", GuestState.PAUSED, false).jobRunning = true;
        assertThat(reattach.inspect(command(CommandType.ABORT, spec("web").build())))
                .hasValueSatisfying(v -> assertThat(v.kind()).isEqualTo(ReportKind.COMMAND_SUCCEEDED));
        assertThat(source.calls).containsExactly("abortJob web", "resume web");
    }

    @Test
    void anUnmanagedHandOffQemuCarriedOutIsHandedOffOneItNeverStartedIsNot() {
        source.add("web", GuestState.RUNNING, false).hypervisorMigration = "active";
        HostCommand c = command(
                CommandType.HANDOFF_UNMANAGED,
                spec("web").setControlFlow(ControlFlow.UNMANAGED_DIRECT).build());
        assertThat(reattach.inspect(c))
                .hasValueSatisfying(v -> assertThat(v.kind()).isEqualTo(ReportKind.COMMAND_SUCCEEDED));
        source.guests.get("web").hypervisorMigration = "none";
        assertThat(reattach.inspect(c))
                .hasValueSatisfying(v -> assertThat(v.reason().getCode()).isEqualTo(ReasonCode.AGENT_RESTARTED.name()));
    }
}
