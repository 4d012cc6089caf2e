package io.vmflow.ops.cli;

import io.vmflow.avro.HostState;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.Map;

/** The latest state of every host, read from the compacted host-state topic. */
final class HostLookup {

    private HostLookup() {}

    static Map<String, HostState> all(Endpoints endpoints, WireFormat wire) {
        return new LogReader<>(endpoints, wire, "vmflow-cli-hosts", TopicCatalogue.HOST_STATE.name(), HostState.class)
                .latest();
    }
}
