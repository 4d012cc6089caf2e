package io.vmflow.coordinator;

import static org.awaitility.Awaitility.await;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.Phase;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** Every migration event committed after it started, read (read_committed) from the real audit log. */
final class Events implements AutoCloseable {

    static final Set<Phase> FINAL =
            EnumSet.of(Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.REJECTED, Phase.GUEST_LEFT_PAUSED);

    private final List<MigrationEvent> seen = new CopyOnWriteArrayList<>();
    private final TopicTail<MigrationEvent> tail;

    Events(Endpoints endpoints, WireFormat wire) {
        tail = new TopicTail<>(
                        "it-events",
                        endpoints,
                        TopicCatalogue.MIGRATION_EVENTS.name(),
                        TopicTail.From.END,
                        wire,
                        MigrationEvent.class,
                        (r, e) -> seen.add(e),
                        key -> {})
                .start();
    }

    List<MigrationEvent> of(String migrationId) {
        return seen.stream().filter(e -> e.getMigrationId().equals(migrationId)).toList();
    }

    List<Phase> phases(String migrationId) {
        return of(migrationId).stream().map(MigrationEvent::getPhase).toList();
    }

    MigrationEvent awaitFinal(String migrationId, Duration atMost) {
        await().atMost(atMost)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> of(migrationId).stream().anyMatch(e -> FINAL.contains(e.getPhase())));
        return of(migrationId).stream()
                .filter(e -> FINAL.contains(e.getPhase()))
                .findFirst()
                .orElseThrow();
    }

    /** Sequence numbers 1..n without gaps or duplicates, each event following the one before. */
    void assertCompleteAndOrdered(String migrationId) {
        List<MigrationEvent> log = of(migrationId);
        org.assertj.core.api.Assertions.assertThat(
                        log.stream().map(MigrationEvent::getSequence).toList())
                .as("sequence numbers 1..n without gaps or duplicates")
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, log.size())
                        .boxed()
                        .toList());
        for (int i = 1; i < log.size(); i++) {
            org.assertj.core.api.Assertions.assertThat(log.get(i).getPreviousPhase())
                    .isEqualTo(log.get(i - 1).getPhase());
        }
    }

    @Override
    public void close() {
        tail.close();
    }
}
