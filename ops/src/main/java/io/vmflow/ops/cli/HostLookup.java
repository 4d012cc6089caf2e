package io.vmflow.ops.cli;

import io.vmflow.avro.HostState;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** The latest state of every host, read from the compacted host-state topic. */
final class HostLookup {

    private HostLookup() {
    }

    static Map<String, HostState> all(Endpoints endpoints, WireFormat wire) {
        Map<String, HostState> hosts = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, "vmflow-cli-hosts"))) {
            String topic = TopicCatalogue.HOST_STATE.name();
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    if (r.value() == null) {
                        hosts.remove(r.key());
                        continue;
                    }
                    try {
                        HostState s = wire.decode(r.value(), HostState.class);
                        hosts.put(s.getHostId(), s);
                    } catch (UndecodableRecordException e) {
                        // skipped: the CLI reads, it does not judge
                    }
                }
            }
        }
        return hosts;
    }
}
