package io.vmflow.coordinator.inventory;

import io.vmflow.avro.HostState;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps the {@link Inventory} current from the compacted host-state topic, on its own thread. */
public final class InventoryReader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InventoryReader.class);

    private final Inventory inventory;
    private final WireFormat wire;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running = true;

    public InventoryReader(Inventory inventory, Endpoints endpoints, WireFormat wire, String clientId) {
        this.inventory = inventory;
        this.wire = wire;
        this.consumer = new KafkaConsumer<>(endpoints.consumer(null, clientId));
        this.thread = new Thread(this::run, "inventory-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits until everything published before the start has been read. */
    public boolean awaitCaughtUp(Duration d) throws InterruptedException {
        return caughtUp.await(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            String topic = TopicCatalogue.HOST_STATE.name();
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        inventory.remove(r.key());
                        continue;
                    }
                    try {
                        inventory.update(wire.decode(r.value(), HostState.class));
                    } catch (UndecodableRecordException e) {
                        LOG.warn("undecodable host state at {}@{}: {}", r.partition(), r.offset(), e.getMessage());
                    }
                }
                if (caughtUp.getCount() > 0 && tps.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
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
