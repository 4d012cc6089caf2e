package io.vmflow.coordinator;

import static org.awaitility.Awaitility.await;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.Phase;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/** Every migration event committed after it started, read (read_committed) from the real audit log. */
final class Events implements AutoCloseable {

    static final Set<Phase> FINAL = EnumSet.of(Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.REJECTED,
            Phase.GUEST_LEFT_PAUSED);

    private final List<MigrationEvent> seen = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    Events(Endpoints endpoints, WireFormat wire) {
        consumer = new KafkaConsumer<>(endpoints.consumer(null, "it-events"));
        String topic = TopicCatalogue.MIGRATION_EVENTS.name();
        List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
        thread = new Thread(() -> {
            try {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        seen.add(wire.decode(r.value(), MigrationEvent.class));
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }, "it-events");
        thread.start();
    }

    List<MigrationEvent> of(String migrationId) {
        return seen.stream().filter(e -> e.getMigrationId().equals(migrationId)).toList();
    }

    List<Phase> phases(String migrationId) {
        return of(migrationId).stream().map(MigrationEvent::getPhase).toList();
    }

    MigrationEvent awaitFinal(String migrationId, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(200))
                .until(() -> of(migrationId).stream().anyMatch(e -> FINAL.contains(e.getPhase())));
        return of(migrationId).stream().filter(e -> FINAL.contains(e.getPhase())).findFirst().orElseThrow();
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
