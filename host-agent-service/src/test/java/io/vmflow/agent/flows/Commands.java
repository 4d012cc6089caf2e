package io.vmflow.agent.flows;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import java.time.Instant;

/** Host commands as the coordinator sends them, for the flows' unit tests. */
final class Commands {

    static final String SOURCE_URI = "qemu+tcp://10.250.0.1/system";
    static final String DESTINATION_URI = "qemu+tcp://10.250.0.2/system";

    private Commands() {}

    static MigrationSpec.Builder spec(String guest) {
        return MigrationSpec.newBuilder()
                .setGuest(guest)
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(ControlFlow.MANAGED_DIRECT)
                .setTransport(Transport.NATIVE)
                .setSourceUri(SOURCE_URI)
                .setDestinationUri(DESTINATION_URI)
                .setLive(true)
                .setOnTimeout(TimeoutPolicy.ABORT);
    }

    static HostCommand command(CommandType type, MigrationSpec spec) {
        return HostCommand.newBuilder()
                .setCommandId("m-1:" + type.name().toLowerCase() + ":hostA")
                .setMigrationId("m-1")
                .setHostId("hostA")
                .setType(type)
                .setEpoch(1L)
                .setIssuer("vmflow-coordinator")
                .setIssuedAt(Instant.EPOCH)
                .setSpec(spec)
                .setPeerHost("hostB")
                .build();
    }
}
