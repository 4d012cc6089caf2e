package io.vmflow.ops.cli;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationSpec;
import picocli.CommandLine.Option;

/** The migration-spec flags `migrate` and `command` share (a picocli mixin), and the spec they begin. */
final class SpecOptions {

    @Option(names = "--guest", required = true, description = "The guest's name (or UUID).")
    String guest;

    @Option(
            names = "--destination",
            description = "Destination host id (migrate: the coordinator chooses when left out).")
    String destination;

    @Option(
            names = "--flow",
            defaultValue = "MANAGED_PEER_TO_PEER",
            description = "MANAGED_DIRECT, MANAGED_PEER_TO_PEER or UNMANAGED_DIRECT (default ${DEFAULT-VALUE}).")
    ControlFlow flow;

    @Option(
            names = "--destination-uri",
            description = "Seed URI 2: the destination's libvirt URI (default: the"
                    + " destination's registration; for peer-to-peer, a libvirt host without vmflow).")
    String destinationUri;

    @Option(names = "--migration-uri", description = "Seed URI 3: the hypervisor migration URI, tcp://HOST[:PORT].")
    String migrationUri;

    @Option(names = "--offline", description = "Migrate the guest's config only.")
    boolean offline;

    @Option(names = "--persist-dest", description = "Write the destination config after success.")
    boolean persistDest;

    @Option(names = "--undefine-source", description = "Remove the source config after success.")
    boolean undefineSource;

    @Option(names = "--bandwidth", description = "Bandwidth limit, MiB/s.")
    Long bandwidth;

    /** The spec these flags describe, from the given source host; the command adds what is its own. */
    MigrationSpec.Builder spec(String source) {
        return MigrationSpec.newBuilder()
                .setGuest(guest)
                .setSourceHost(source)
                .setDestinationHost(destination)
                .setControlFlow(flow)
                .setDestinationUri(destinationUri)
                .setMigrationUri(migrationUri)
                .setLive(!offline)
                .setPersistDest(persistDest)
                .setUndefineSource(undefineSource)
                .setBandwidthMiBps(bandwidth);
    }
}
