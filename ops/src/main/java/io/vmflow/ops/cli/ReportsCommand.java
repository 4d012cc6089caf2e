package io.vmflow.ops.cli;

import io.vmflow.avro.HostReport;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the host agents' reports, one per line. */
@Command(name = "reports", mixinStandardHelpOptions = true, description = "Print host agents' reports, one per line.")
final class ReportsCommand implements Callable<Integer> {

    @Option(names = "--migration", description = "Only this migration id.")
    String migrationId;

    @Option(names = "--follow", description = "Keep printing new reports until interrupted.")
    boolean follow;

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        // every host's report topic (a host's reports are on its own)
        List<TopicPartition> tps = TopicTail.partitions(
                endpoints, "vmflow-cli-reports", TopicCatalogue.everyHost(TopicCatalogue.HOST_REPORTS_TEMPLATE));
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(endpoints.consumer(null, "vmflow-cli-reports"))) {
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            while (true) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (migrationId != null && !migrationId.equals(r.key())) {
                        continue;
                    }
                    try {
                        System.out.println(ReportLine.of(wire.decode(r.value(), HostReport.class)));
                    } catch (UndecodableRecordException e) {
                        System.out.println("(undecodable record at " + r.partition() + "@" + r.offset() + ": "
                                + e.getMessage() + ")");
                    }
                }
                if (!follow && tps.stream().allMatch(tp -> c.position(tp) >= end.get(tp))) {
                    return 0;
                }
            }
        }
    }
}
