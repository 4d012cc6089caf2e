package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.registry.SchemaRegistryClient;
import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the audit log (or the smoke-test topic), from the beginning, one line per event. */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = "Print migration events from the beginning of the log, one per line.")
final class EventsCommand implements Callable<Integer> {

    @Option(names = "--migration", description = "Only this migration id.")
    String migrationId;

    @Option(names = "--follow", description = "Keep printing new events until interrupted.")
    boolean follow;

    @Option(names = "--smoke-test", description = "Read the smoke-test topic that 'vmflow roundtrip' writes.")
    boolean smokeTest;

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(new SchemaRegistryClient(endpoints.registryUrl()));
        String topic = (smokeTest ? TopicCatalogue.SMOKE_TEST : TopicCatalogue.MIGRATION_EVENTS).name();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(endpoints.consumer(null, "vmflow-cli-events"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            while (true) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (migrationId != null && !migrationId.equals(r.key())) {
                        continue;
                    }
                    try {
                        System.out.println(EventLine.of(wire.decode(r.value(), MigrationEvent.class)));
                    } catch (UndecodableRecordException e) {
                        System.out.println("(undecodable record at " + r.partition() + "@" + r.offset() + ": "
                                + e.getMessage() + ")");
                    }
                }
                if (!follow && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                    return 0;
                }
            }
        }
    }
}
