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
        // each host's state from its own topic; a record keyed for another host there is not believed
        return new LogReader<>(
                        endpoints,
                        wire,
                        "vmflow-cli-hosts",
                        TopicCatalogue.everyHost(TopicCatalogue.HOST_STATE_TEMPLATE),
                        HostState.class)
                .latest(r -> TopicCatalogue.isHostsOwn(TopicCatalogue.HOST_STATE_TEMPLATE, r.topic(), r.key()));
    }
}
