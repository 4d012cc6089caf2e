package io.vmflow.ops.cli;

import io.vmflow.avro.HostState;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.kafka.TopicTail;
import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.HashMap;
import java.util.Map;

/** The latest state of every host, read from the compacted host-state topic. */
final class HostLookup {

    private HostLookup() {
    }

    static Map<String, HostState> all(Endpoints endpoints, WireFormat wire) {
        Map<String, HostState> hosts = new HashMap<>();
        TopicTail.readToEnd(endpoints, "vmflow-cli-hosts", TopicTail.partitions(endpoints, "vmflow-cli-hosts",
                TopicCatalogue.HOST_STATE.name()), r -> {
                    if (r.value() == null) {
                        hosts.remove(r.key());
                        return;
                    }
                    try {
                        HostState s = wire.decode(r.value(), HostState.class);
                        hosts.put(s.getHostId(), s);
                    } catch (UndecodableRecordException e) {
                        // skipped: the CLI reads, it does not judge
                    }
                });
        return hosts;
    }
}
