package io.vmflow.agent.testhosts;

import static org.awaitility.Awaitility.await;

import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/** Every host report written after it started, read from the real host-reports topic. */
public final class Reports implements AutoCloseable {

    private final List<HostReport> seen = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    public Reports(Endpoints endpoints, WireFormat wire) {
        consumer = new KafkaConsumer<>(endpoints.consumer(null, "it-reports"));
        String topic = TopicCatalogue.HOST_REPORTS.name();
        List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
        thread = new Thread(() -> {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        seen.add(wire.decode(r.value(), HostReport.class));
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }, "it-reports");
        thread.start();
    }

    public List<HostReport> forCommand(String commandId) {
        return seen.stream().filter(r -> commandId.equals(r.getCommandId())).toList();
    }

    public List<HostReport> forMigration(String migrationId) {
        return seen.stream().filter(r -> migrationId.equals(r.getMigrationId())).toList();
    }

    /** Waits for a command's final report (succeeded, failed or refused). */
    public HostReport awaitFinal(String commandId) {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> forCommand(commandId).stream().anyMatch(r -> isFinal(r.getKind())));
        return forCommand(commandId).stream().filter(r -> isFinal(r.getKind())).findFirst().orElseThrow();
    }

    public static boolean isFinal(ReportKind k) {
        return k == ReportKind.COMMAND_SUCCEEDED || k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
