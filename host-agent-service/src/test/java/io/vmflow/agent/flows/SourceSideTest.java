package io.vmflow.agent.flows;

import static io.vmflow.agent.flows.Commands.command;
import static io.vmflow.agent.flows.Commands.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.agent.hypervisor.FakeHypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.report.Outcome;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The source side's rules (libvirt's Begin, Perform, Confirm, abort, tune) through the hypervisor seam. */
class SourceSideTest {

    final FakeHypervisor hypervisor = new FakeHypervisor(Commands.SOURCE_URI);
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    // no producer: the sampler sends nothing while the fake's job has no figures, the hand-off observer is not started
    final Reporter reporter = new Reporter("hostA", null, null, null);
    final UnmanagedHandoff unmanaged = new UnmanagedHandoff(hypervisor, reporter, scheduler, Duration.ofSeconds(1));
    final SourceSide source = new SourceSide(
            hypervisor,
            new ProgressSampler(hypervisor, reporter, scheduler, Duration.ofSeconds(1)),
            null,
            unmanaged,
            null);

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void beginAnswersTheMigratableXmlAndWhetherTheGuestIsPersistent() throws Exception {
        hypervisor.add("web", GuestState.RUNNING, true);
        Outcome o = source.begin(command(CommandType.BEGIN, spec("web").build()));
        assertThat(o.domainXml()).contains("<name>web</name>");
        assertThat(o.details()).containsEntry("persistent", "true");
        assertThat(hypervisor.calls).as("BEGIN changes nothing").isEmpty();
    }

    @Test
    void beginRefusesAGuestThatIsNotHere() {
        assertThatThrownBy(() ->
                        source.begin(command(CommandType.BEGIN, spec("ghost").build())))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.GUEST_NOT_FOUND));
    }

    @Test
    void aLiveMigrationNeedsARunningGuestAnOfflineOneDoesNot() throws Exception {
        hypervisor.add("off", GuestState.SHUT_OFF, true);
        assertThatThrownBy(() ->
                        source.begin(command(CommandType.BEGIN, spec("off").build())))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.GUEST_NOT_RUNNING));
        assertThat(source.begin(command(
                                CommandType.BEGIN, spec("off").setLive(false).build()))
                        .kind()
                        .name())
                .isEqualTo("COMMAND_SUCCEEDED");
    }

    @Test
    void managedDirectCanOnlyTunnelThroughVmflowRelays() {
        hypervisor.add("web", GuestState.RUNNING, false);
        assertThatThrownBy(() -> source.performDirect(command(
                        CommandType.PERFORM,
                        spec("web").setTransport(Transport.TUNNELLED).build())))
                .isInstanceOfSatisfying(
                        HypervisorException.class,
                        e -> assertThat(e.code()).isEqualTo(ReasonCode.TUNNELLED_WITHOUT_RELAY));
        assertThat(hypervisor.calls).isEmpty();
    }

    @Test
    void aPerformWithoutTheDestinationsLibvirtUriIsMalformed() {
        hypervisor.add("web", GuestState.RUNNING, false);
        assertThatThrownBy(() -> source.performPeerToPeer(
                        command(
                                CommandType.PERFORM,
                                spec("web").setDestinationUri(null).build()),
                        null))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.MALFORMED_COMMAND));
    }

    @Test
    void peerToPeerPerformRunsLibvirtsPeerToPeerMigrationAndReportsTheFinalFigures() throws Exception {
        hypervisor.add("web", GuestState.RUNNING, false);
        hypervisor.completedFigures = JobFigures.newBuilder().setDowntimeMs(42L).build();
        Outcome o = source.performPeerToPeer(
                command(
                        CommandType.HANDOFF_PEER_TO_PEER,
                        spec("web")
                                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                                .build()),
                "tcp://10.251.0.2");
        assertThat(hypervisor.calls)
                .singleElement()
                .asString()
                .startsWith("migrateToUri web " + Commands.DESTINATION_URI)
                .endsWith("uri=tcp://10.251.0.2");
        assertThat(o.figures().getDowntimeMs()).isEqualTo(42L);
        assertThat(o.details()).containsEntry("transport", "native");
    }

    @Test
    void aFailedMigrationKeepsItsReason() {
        hypervisor.add("web", GuestState.RUNNING, false);
        hypervisor.failNext("migrateToUri", ReasonCode.CPU_INCOMPATIBLE);
        assertThatThrownBy(() -> source.performPeerToPeer(
                        command(CommandType.HANDOFF_PEER_TO_PEER, spec("web").build()), null))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.CPU_INCOMPATIBLE));
        assertThat(hypervisor.observe("web").getState()).as("the guest stays").isEqualTo(GuestState.RUNNING);
    }

    @Test
    void confirmRefusesWhileTheGuestStillRunsHere() {
        hypervisor.add("web", GuestState.RUNNING, true);
        assertThatThrownBy(() ->
                        source.confirm(command(CommandType.CONFIRM, spec("web").build())))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.MIGRATION_FAILED));
    }

    @Test
    void confirmUndefinesThePersistentSourceOnlyWhenAsked() throws Exception {
        hypervisor.add("kept", GuestState.SHUT_OFF, true);
        source.confirm(command(CommandType.CONFIRM, spec("kept").build()));
        assertThat(hypervisor.has("kept"))
                .as("the seed's default: the source config stays")
                .isTrue();

        hypervisor.add("gone", GuestState.SHUT_OFF, true);
        Outcome o = source.confirm(command(
                CommandType.CONFIRM, spec("gone").setUndefineSource(true).build()));
        assertThat(hypervisor.calls).containsExactly("undefine gone");
        assertThat(o.details()).containsEntry("sourceConfig", "undefined by the agent");
    }

    @Test
    void abortCancelsTheJobAndResumesAPausedGuest() throws Exception {
        hypervisor.add("web", GuestState.PAUSED, false).jobRunning = true;
        Outcome o = source.abort(command(CommandType.ABORT, spec("web").build()));
        assertThat(hypervisor.calls).containsExactly("abortJob web", "resume web");
        assertThat(o.details()).containsEntry("jobAborted", "true").containsEntry("guestOnSource", "resumed");
    }

    @Test
    void abortOfAGuestThatLeftSaysSoSoThatTheMigrationsOwnResultDecides() {
        assertThatThrownBy(() ->
                        source.abort(command(CommandType.ABORT, spec("left").build())))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.GUEST_NOT_FOUND));
    }

    @Test
    void anUnmanagedAbortGoesToQemuAndATooLateOneIsReportedAsGone() throws Exception {
        hypervisor.add("web", GuestState.RUNNING, false).hypervisorMigration = "active";
        Outcome o = source.abort(command(
                CommandType.ABORT,
                spec("web").setControlFlow(ControlFlow.UNMANAGED_DIRECT).build()));
        assertThat(hypervisor.calls).containsExactly("qemu migrate_cancel web");
        assertThat(o.details()).containsEntry("hypervisorMigrationStatus", "cancelled");

        hypervisor.add("done", GuestState.PAUSED, false).hypervisorMigration = "completed";
        assertThatThrownBy(() -> source.abort(command(
                        CommandType.ABORT,
                        spec("done")
                                .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                                .build())))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.GUEST_NOT_FOUND));
    }

    @Test
    void tuneTriplesTheMaxDowntimeUpToTenSecondsAndRefusesWhatLibvirtCannotSwitchOnLater() throws Exception {
        hypervisor.add("web", GuestState.RUNNING, false);
        source.tune(command(
                CommandType.TUNE,
                spec("web").setOnTimeout(TimeoutPolicy.RAISE_MAX_DOWNTIME).build()));
        source.tune(command(
                CommandType.TUNE,
                spec("web")
                        .setOnTimeout(TimeoutPolicy.RAISE_MAX_DOWNTIME)
                        .setMaxDowntimeMs(5000L)
                        .build()));
        assertThat(hypervisor.calls).containsExactly("setMaxDowntime web 900", "setMaxDowntime web 10000");
        assertThatThrownBy(() -> source.tune(command(
                        CommandType.TUNE,
                        spec("web").setOnTimeout(TimeoutPolicy.AUTO_CONVERGE).build())))
                .isInstanceOfSatisfying(
                        HypervisorException.class, e -> assertThat(e.code()).isEqualTo(ReasonCode.UNSUPPORTED_FLAGS));
    }

    @Test
    void confirmAfterAnUnmanagedMigrationDestroysThePausedLeftoverOnlyWhenQemuCompleted() throws Exception {
        hypervisor.add("web", GuestState.PAUSED, true).hypervisorMigration = "active";
        assertThat(unmanaged.removeCompletedSourceCopy(
                        command(CommandType.CONFIRM, spec("web").build())))
                .isFalse();
        hypervisor.guests.get("web").hypervisorMigration = "completed";
        Outcome o = source.confirm(command(
                CommandType.CONFIRM,
                spec("web").setControlFlow(ControlFlow.UNMANAGED_DIRECT).build()));
        assertThat(hypervisor.calls).containsExactly("destroy web");
        assertThat(o.details()).containsKey("sourceCopy");
    }
}
