package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prints the audit log (or the smoke-test topic), one line per event: without --follow the whole log
 * and exit; with --follow new events as they are committed (from the beginning with --from-beginning).
 */
@Command(
        name = "events",
        mixinStandardHelpOptions = true,
        description = {
            "Print migration events, one per line: the whole log, or with --follow new events as they" + " happen.",
            "Lines are for people, or JSON objects with --json (one per line, for jq and log" + " shippers)."
        })
final class EventsCommand implements Callable<Integer> {

    @Option(names = "--migration", description = "Only this migration id.")
    String migrationId;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep printing new events until interrupted.")
    boolean follow;

    @Option(names = "--from-beginning", description = "With --follow: print the whole log first.")
    boolean fromBeginning;

    @Option(names = "--json", description = "One JSON object per line (every field of the event).")
    boolean json;

    @Option(names = "--smoke-test", description = "Read the smoke-test topic that 'vmflow roundtrip' writes.")
    boolean smokeTest;

    @Override
    public Integer call() {
        if (fromBeginning && !follow) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "--from-beginning goes with --follow (without --follow the whole log is printed anyway)");
        }
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        String topic = (smokeTest ? TopicCatalogue.SMOKE_TEST : TopicCatalogue.MIGRATION_EVENTS).name();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(endpoints.consumer(null, "vmflow-cli-events"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            if (follow && !fromBeginning) {
                consumer.seekToEnd(partitions);
            } else {
                consumer.seekToBeginning(partitions);
            }
            var end = consumer.endOffsets(partitions);
            while (true) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (migrationId != null && !migrationId.equals(r.key())) {
                        continue;
                    }
                    try {
                        MigrationEvent e = wire.decode(r.value(), MigrationEvent.class);
                        System.out.println(json ? JsonLine.of(e) : EventLine.of(e));
                    } catch (UndecodableRecordException e) {
                        String where = r.topic() + " " + r.partition() + "@" + r.offset();
                        System.out.println(
                                json
                                        ? "{\"undecodable\": \"" + where + "\"}"
                                        : "(undecodable record at " + where + ": " + e.getMessage() + ")");
                    }
                }
                if (!follow && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                    return 0;
                }
            }
        }
    }
}
