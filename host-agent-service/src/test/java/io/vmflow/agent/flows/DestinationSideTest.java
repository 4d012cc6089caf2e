package io.vmflow.agent.flows;

import static io.vmflow.agent.flows.Commands.command;
import static io.vmflow.agent.flows.Commands.spec;
import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.hypervisor.FakeHypervisor;
import io.vmflow.agent.hypervisor.HostFacts;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.report.Outcome;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The destination's checks (libvirt's Prepare and Finish) through the hypervisor seam. */
class DestinationSideTest {

    static final String UUID = "11111111-2222-3333-4444-555555555555";

    final FakeHypervisor hypervisor = new FakeHypervisor(Commands.DESTINATION_URI);
    final DestinationSide destination = new DestinationSide(hypervisor, List.of("10.251.0.2"));

    static HostCommand prepare(String guest, long memoryMiB, String cpu) {
        return HostCommand.newBuilder(command(CommandType.PREPARE, spec(guest).build()))
                .setDomainXml("<domain type='kvm'><name>" + guest + "</name><uuid>" + UUID
                        + "</uuid><memory unit='KiB'>" + (memoryMiB << 10) + "</memory>" + cpu + "</domain>")
                .build();
    }

    static ReasonCode codeOf(ThrowingCall call) {
        try {
            call.run();
        } catch (HypervisorException e) {
            return e.code();
        }
        throw new AssertionError("no refusal");
    }

    interface ThrowingCall {
        void run() throws HypervisorException;
    }

    @Test
    void prepareAnswersAMigrationUriOnTheMigrationNetwork() throws Exception {
        Outcome o = destination.prepare(prepare("web", 256, ""));
        assertThat(o.migrationUri()).isEqualTo("tcp://10.251.0.2");
        assertThat(hypervisor.calls).as("PREPARE only checks").isEmpty();
    }

    @Test
    void prepareRefusesAGuestAlreadyRunningHere() {
        hypervisor.add("web", GuestState.RUNNING, false);
        assertThat(codeOf(() -> destination.prepare(prepare("web", 256, ""))))
                .isEqualTo(ReasonCode.GUEST_ALREADY_ON_DESTINATION);
    }

    @Test
    void prepareRefusesAnotherGuestOfTheSameNameButKeepsTheSameGuestsConfig() throws Exception {
        hypervisor.add("web", GuestState.SHUT_OFF, true);
        assertThat(codeOf(() -> destination.prepare(prepare("web", 256, "")))).isEqualTo(ReasonCode.NAME_CONFLICT);
        hypervisor.guests.get("web").uuid = UUID;
        assertThat(destination.prepare(prepare("web", 256, "")).details())
                .containsEntry("destinationConfig", "present (kept)");
    }

    @Test
    void prepareRefusesAGuestLargerThanTheFreeMemory() {
        hypervisor.facts = new HostFacts("Skylake", "x86_64", 4, 8L << 30, 512L << 20, "11.3.0");
        assertThat(codeOf(() -> destination.prepare(prepare("web", 1024, ""))))
                .isEqualTo(ReasonCode.INSUFFICIENT_MEMORY);
    }

    @Test
    void onlyAGuestOnTheHostCpuNeedsTheDestinationsCpuToFit() throws Exception {
        hypervisor.cpuCompatible = false;
        assertThat(codeOf(() -> destination.prepare(
                        prepare("web", 256, "<cpu mode='custom'><model>Skylake-Server</model></cpu>"))))
                .isEqualTo(ReasonCode.CPU_INCOMPATIBLE);
        assertThat(destination.prepare(prepare("tcg", 256, "")).kind().name()).isEqualTo("COMMAND_SUCCEEDED");
    }

    @Test
    void finishWantsTheGuestRunningHereAfterALiveMigrationAndDefinedAfterAnOfflineOne() throws Exception {
        assertThat(codeOf(() -> destination.finish(
                        command(CommandType.FINISH, spec("web").build()))))
                .isEqualTo(ReasonCode.MIGRATION_FAILED);
        hypervisor.add("web", GuestState.RUNNING, true);
        assertThat(destination
                        .finish(command(CommandType.FINISH, spec("web").build()))
                        .details())
                .containsEntry("persistent", "true");
        hypervisor.add("cold", GuestState.SHUT_OFF, true);
        assertThat(destination
                        .finish(command(
                                CommandType.FINISH, spec("cold").setLive(false).build()))
                        .kind()
                        .name())
                .isEqualTo("COMMAND_SUCCEEDED");
    }
}
