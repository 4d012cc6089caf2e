package io.vmflow.coordinator.engine;

import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.util.Set;
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
        TopicTail.readToEnd(
                config.endpoints(),
                config.id() + "-restore",
                partitions.stream().map(p -> new TopicPartition(topic, p)).toList(),
                r -> {
                    if (r.value() == null) {
                        migrations.remove(r.key());
                        return;
                    }
                    try {
                        Tracked t = Tracked.of(wire.decode(r.value(), MigrationSnapshot.class));
                        migrations.put(t.m().id(), t);
                    } catch (UndecodableRecordException e) {
                        if (e.isTransient()) {
                            throw new Outage(
                                    "the schema registry is unavailable restoring snapshots: " + e.getMessage(), e);
                        }
                        // not ours (anyone can write to a topic): the migration's last good snapshot stands
                        LOG.error(
                                "skipping undecodable snapshot {}@{} of {}: {}",
                                r.partition(),
                                r.offset(),
                                r.key(),
                                e.getMessage());
                    } catch (RuntimeException e) {
                        LOG.error(
                                "skipping unusable snapshot {}@{} of {}: {}",
                                r.partition(),
                                r.offset(),
                                r.key(),
                                e.toString());
                    }
                });
        LOG.info(
                "restored {} migrations ({} open) for partitions {}",
                migrations.size(),
                migrations.open().size(),
                partitions);
    }

    /** The partition a migration's records (requests, reports, snapshots) are on: Kafka's default partitioner. */
    static int partitionOf(String id) {
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8)))
                % TopicCatalogue.MIGRATION_SNAPSHOTS.partitions();
    }
}
