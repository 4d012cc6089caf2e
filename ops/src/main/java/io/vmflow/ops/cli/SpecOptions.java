package io.vmflow.ops.cli;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The migration-spec flags `migrate` and `command` share (a picocli mixin), and the spec they begin:
 * as the contract's record (for the topics) or as the HTTP API's JSON. The enumerated flags are text
 * until a record is made: naming an Avro enum parses its schema, a tenth of a second of a command's
 * start that a request by the API does not need (the coordinator checks the names against the contract).
 */
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
    String flow;

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
                .setControlFlow(named(ControlFlow.class, "--flow", flow))
                .setDestinationUri(destinationUri)
                .setMigrationUri(migrationUri)
                .setLive(!offline)
                .setPersistDest(persistDest)
                .setUndefineSource(undefineSource)
                .setBandwidthMiBps(bandwidth);
    }

    /**
     * The same spec as the API's JSON (field names as the contract's; a flag not given is left out, so
     * the coordinator applies the contract's default); the command adds what is its own.
     */
    Map<String, Object> json(String source) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("guest", guest);
        j.put("sourceHost", source);
        j.put("destinationHost", destination);
        j.put("controlFlow", flow);
        j.put("destinationUri", destinationUri);
        j.put("migrationUri", migrationUri);
        j.put("live", !offline);
        j.put("persistDest", persistDest);
        j.put("undefineSource", undefineSource);
        j.put("bandwidthMiBps", bandwidth);
        return j;
    }

    /** The enum constant a flag names, or an error that lists the ones it may name. */
    static <E extends Enum<E>> E named(Class<E> type, String flag, String name) {
        try {
            return Enum.valueOf(type, name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + name + " is not one of "
                    + Arrays.toString(type.getEnumConstants()).replaceAll("[\\[\\]]", ""));
        }
    }
}
