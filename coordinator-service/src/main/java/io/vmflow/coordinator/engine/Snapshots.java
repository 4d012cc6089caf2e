package io.vmflow.coordinator.engine;

import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restore: the migrations of some partitions, rebuilt from the compacted snapshot topic (each
 * migration's last snapshot, written in the same transaction as its last event). An engine restores
 * on start, on every partition it is assigned, and after a transaction the broker refused.
 */
final class Snapshots {

    private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);

    private final CoordinatorConfig config;
    private final WireFormat wire;

    Snapshots(CoordinatorConfig config, WireFormat wire) {
        this.config = config;
        this.wire = wire;
    }

    /** Replaces the migrations of {@code partitions} in {@code migrations} by what the snapshot topic holds. */
    void restore(Migrations migrations, Set<Integer> partitions) {
        migrations.removeIf(id -> partitions.contains(partitionOf(id)));
        if (partitions.isEmpty()) {
            return;
        }
        String topic = TopicCatalogue.MIGRATION_SNAPSHOTS.name();
        List<TopicPartition> tps =
                partitions.stream().map(p -> new TopicPartition(topic, p)).toList();
        // each migration's last record, decoded once: the broker has not compacted away every snapshot
        // before it yet, and decoding those was most of a restore
        Map<String, ConsumerRecord<String, byte[]>> last = new HashMap<>();
        TopicTail.readToEnd(config.endpoints(), config.id() + "-restore", tps, r -> last.put(r.key(), r));
        Set<String> unusable = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : last.values()) {
            if (r.value() != null && !apply(migrations, r)) { // a tombstone: the migration is gone
                unusable.add(r.key());
            }
        }
        if (!unusable.isEmpty()) {
            // a last record that cannot be used: the migration's last good snapshot stands, so those are
            // read again, one record after another
            TopicTail.readToEnd(config.endpoints(), config.id() + "-restore", tps, r -> {
                if (!unusable.contains(r.key())) {
                    return;
                }
                if (r.value() == null) {
                    migrations.remove(r.key());
                } else {
                    apply(migrations, r);
                }
            });
        }
        LOG.info(
                "restored {} migrations ({} open) for partitions {}",
                migrations.size(),
                migrations.open().size(),
                partitions);
    }

    /** Puts a snapshot's migration in; false when the record is not a usable snapshot (it is logged). */
    private boolean apply(Migrations migrations, ConsumerRecord<String, byte[]> r) {
        try {
            Tracked t = Tracked.of(wire.decode(r.value(), MigrationSnapshot.class));
            migrations.put(t.m().id(), t);
            return true;
        } catch (UndecodableRecordException e) {
            if (e.isTransient()) {
                throw new Outage("the schema registry is unavailable restoring snapshots: " + e.getMessage(), e);
            }
            // not ours (anyone can write to a topic)
            LOG.error(
                    "skipping undecodable snapshot {}@{} of {}: {}",
                    r.partition(),
                    r.offset(),
                    r.key(),
                    e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("skipping unusable snapshot {}@{} of {}: {}", r.partition(), r.offset(), r.key(), e.toString());
        }
        return false;
    }

    /** The partition a migration's records (requests, reports, snapshots) are on: Kafka's default partitioner. */
    static int partitionOf(String id) {
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8)))
                % TopicCatalogue.MIGRATION_SNAPSHOTS.partitions();
    }
}
