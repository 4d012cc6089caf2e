package io.vmflow.coordinator.engine;

import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.Optional;

/**
 * Every instance's migrations as their committed snapshots say (all partitions of the compacted
 * snapshot topic), so that each instance can count the whole cluster for admission and answer the
 * API about migrations another instance owns.
 */
public final class ClusterView implements AutoCloseable {

    private final Migrations all = new Migrations();
    private final TopicTail<MigrationSnapshot> tail;

    public ClusterView(Endpoints endpoints, WireFormat wire, String clientId, Loops loops, DeadLetters deadLetters) {
        this.tail = new TopicTail<>(
                        clientId,
                        endpoints,
                        TopicCatalogue.MIGRATION_SNAPSHOTS.name(),
                        TopicTail.From.BEGINNING,
                        wire,
                        MigrationSnapshot.class,
                        (r, s) -> all.put(s.getMigrationId(), Tracked.of(s)),
                        all::remove,
                        loops,
                        deadLetters)
                .start();
    }

    /** Waits until every snapshot written before this view started has been read. */
    public boolean awaitCaughtUp(java.time.Duration d) throws InterruptedException {
        return tail.awaitCaughtUp(d);
    }

    /** Every instance's migrations as their snapshots say, by id: a live view, not a copy. */
    Migrations tracked() {
        return all;
    }

    public Optional<MigrationView> view(String id) {
        return Optional.ofNullable(all.get(id)).map(MigrationView::of);
    }

    public java.util.List<MigrationView> views() {
        return all.values().stream().map(MigrationView::of).toList();
    }

    @Override
    public void close() {
        tail.close();
    }
}
