package io.vmflow.coordinator.planning;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.HostState;
import io.vmflow.avro.Liveness;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.statemachine.Input;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * Turns a valid request into a plan: the destination (when not given: live, enough free memory,
 * same CPU architecture, fewest running migrations), the libvirt URIs of both ends from the hosts' registrations, and the
 * hypervisor URI derived from the destination's migration address unless the request gives one
 * (seed: a hostname that does not resolve publicly, one NIC among several, a firewall port).
 */
public final class Planner {

    private final Inventory inventory;
    private final ToIntFunction<String> inboundInFlight;

    public Planner(Inventory inventory, ToIntFunction<String> inboundInFlight) {
        this.inventory = inventory;
        this.inboundInFlight = inboundInFlight;
    }

    /** The plan, or a rejection. */
    public Input plan(MigrationSpec s) {
        HostState source = inventory.host(s.getSourceHost()).orElseThrow();
        long memory = inventory
                .guest(s.getSourceHost(), s.getGuest())
                .map(GuestInfo::getMemoryBytes)
                .orElse(0L);
        MigrationSpec.Builder b = MigrationSpec.newBuilder(s);
        if (s.getSourceUri() == null) {
            b.setSourceUri(source.getLibvirtUri());
        }
        if (s.getControlFlow() == ControlFlow.UNMANAGED_DIRECT) {
            // the seed: URIs 1 and 3 are compulsory here, URI 2 is unused; say so rather than ignore it silently
            return new Input.Planned(
                    b.build(),
                    s.getMigrationUri(),
                    memory,
                    s.getDestinationUri() == null
                            ? null
                            : ReasonCode.UNUSED_DESTINATION_URI.reason("destinationUri " + s.getDestinationUri()
                                    + " is not used: in an unmanaged direct migration only the hypervisors take part,"
                                    + " through the migrationUri"));
        }
        String destinationId = s.getDestinationHost();
        if (destinationId == null && s.getDestinationUri() == null) {
            Optional<HostState> chosen = choose(s, memory);
            if (chosen.isEmpty()) {
                return new Input.Invalid(ReasonCode.NO_DESTINATION.reason(
                        "no live host other than " + s.getSourceHost() + " has " + (memory >> 20) + " MiB free"));
            }
            destinationId = chosen.get().getHostId();
            b.setDestinationHost(destinationId);
        }
        Optional<HostState> destination = inventory.host(destinationId);
        if (s.getDestinationUri() == null) {
            b.setDestinationUri(destination.orElseThrow().getLibvirtUri());
        }
        String uri = s.getMigrationUri();
        if (uri == null
                && destination.isPresent()
                && !destination.get().getMigrationAddresses().isEmpty()) {
            uri = "tcp://" + destination.get().getMigrationAddresses().get(0);
        }
        b.setMigrationUri(uri);
        return new Input.Planned(b.build(), uri, memory);
    }

    private Optional<HostState> choose(MigrationSpec s, long memory) {
        String sourceArch =
                inventory.host(s.getSourceHost()).map(HostState::getCpuArch).orElse(null);
        return inventory.hosts().stream()
                .filter(h -> !h.getHostId().equals(s.getSourceHost()))
                .filter(h -> h.getLiveness() == Liveness.UP)
                .filter(h -> h.getMemoryFreeBytes() >= memory)
                // the guest's architecture must run there (a KVM guest's CPU model is PREPARE's check)
                .filter(h -> sourceArch == null || h.getCpuArch() == null || sourceArch.equals(h.getCpuArch()))
                .min(Comparator.<HostState>comparingInt(
                                h -> h.getRunningMigrations() + inboundInFlight.applyAsInt(h.getHostId()))
                        .thenComparing(HostState::getHostId));
    }
}
