package io.vmflow.coordinator.planning;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostState;
import io.vmflow.avro.Liveness;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.statemachine.Input;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class PlannerTest {

    public static HostState host(
            String id, String arch, long freeMiB, int running, Liveness l, String... migrationAddresses) {
        return HostState.newBuilder()
                .setHostId(id)
                .setReportedAt(Instant.EPOCH)
                .setLiveness(l)
                .setAgentVersion("t")
                .setLibvirtUri("qemu+tcp://" + id + "/system")
                .setCpuArch(arch)
                .setMemoryFreeBytes(freeMiB << 20)
                .setRunningMigrations(running)
                .setMigrationAddresses(List.of(migrationAddresses))
                .setGuests(
                        id.equals("a")
                                ? List.of(new GuestInfo("web", "u-1", GuestState.RUNNING, true, 512L << 20, 1))
                                : List.of())
                .build();
    }

    final Inventory inventory = new Inventory();

    Input.Planned plan(MigrationSpec.Builder s, Map<String, Integer> inbound) {
        return (Input.Planned) new Planner(inventory, h -> inbound.getOrDefault(h, 0)).plan(s.build());
    }

    static MigrationSpec.Builder spec() {
        return MigrationSpec.newBuilder().setGuest("web").setSourceHost("a");
    }

    @Test
    void choosesALiveHostOfTheSameArchitectureWithRoomAndTheFewestMigrations() {
        inventory.update(host("a", "x86_64", 4096, 0, Liveness.UP));
        inventory.update(host("b", "x86_64", 4096, 1, Liveness.UP, "10.251.0.2"));
        inventory.update(host("c", "x86_64", 4096, 0, Liveness.UP, "10.251.0.3"));
        inventory.update(host("d", "aarch64", 8192, 0, Liveness.UP));
        inventory.update(host("e", "x86_64", 256, 0, Liveness.UP));
        inventory.update(host("f", "x86_64", 8192, 0, Liveness.DRAINING));
        Input.Planned p = plan(spec(), Map.of());
        assertThat(p.spec().getDestinationHost()).isEqualTo("c");
        assertThat(p.migrationUri()).isEqualTo("tcp://10.251.0.3");
        assertThat(p.spec().getDestinationUri()).isEqualTo("qemu+tcp://c/system");
        assertThat(p.spec().getSourceUri()).isEqualTo("qemu+tcp://a/system");
        assertThat(p.guestMemoryBytes()).isEqualTo(512L << 20);
        assertThat(plan(spec(), Map.of("c", 2)).spec().getDestinationHost())
                .as("counting our own inbound")
                .isEqualTo("b");
    }

    @Test
    void anExplicitHypervisorUriWinsAndUnmanagedNeedsNoDestination() {
        inventory.update(host("a", "x86_64", 4096, 0, Liveness.UP));
        inventory.update(host("b", "x86_64", 4096, 0, Liveness.UP, "10.251.0.2"));
        assertThat(plan(spec().setDestinationHost("b").setMigrationUri("tcp://192.0.2.7:49999"), Map.of())
                        .migrationUri())
                .isEqualTo("tcp://192.0.2.7:49999");
        Input.Planned u =
                plan(spec().setControlFlow(ControlFlow.UNMANAGED_DIRECT).setMigrationUri("tcp://h:4444"), Map.of());
        assertThat(u.spec().getDestinationHost()).isNull();
        assertThat(u.migrationUri()).isEqualTo("tcp://h:4444");
        assertThat(u.warning()).as("URI 2 not given: nothing to warn about").isNull();
        Input.Planned unused = plan(
                spec().setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                        .setMigrationUri("tcp://h:4444")
                        .setDestinationUri("qemu+tcp://h/system"),
                Map.of());
        assertThat(unused.warning().getCode()).isEqualTo("UNUSED_DESTINATION_URI");
    }

    @Test
    void noRoomAnywhereIsARejectionThatSaysSo() {
        inventory.update(host("a", "x86_64", 4096, 0, Liveness.UP));
        inventory.update(host("b", "x86_64", 100, 0, Liveness.UP));
        Input in = new Planner(inventory, h -> 0).plan(spec().build());
        assertThat(in).isInstanceOfSatisfying(Input.Invalid.class, i -> {
            assertThat(i.reason().getCode()).isEqualTo("NO_DESTINATION");
            assertThat(i.reason().getMessage()).contains("512 MiB");
        });
    }
}
