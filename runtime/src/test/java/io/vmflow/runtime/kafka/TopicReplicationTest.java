package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicReplicationTest {

    @Test
    void oneBrokerByDefault() {
        assertThat(TopicReplication.from(Map.of())).isEqualTo(new TopicReplication((short) 1, 1));
    }

    @Test
    void threeCopiesNeedTwoInSyncSoThatOneBrokerMayDie() {
        assertThat(TopicReplication.from(Map.of(TopicReplication.FACTOR, "3")))
                .isEqualTo(new TopicReplication((short) 3, 2));
    }

    @Test
    void impossibleSettingsAreRefusedNamingTheKey() {
        assertThatThrownBy(() ->
                        TopicReplication.from(Map.of(TopicReplication.FACTOR, "2", TopicReplication.MIN_INSYNC, "3")))
                .hasMessageContaining(TopicReplication.MIN_INSYNC);
        assertThatThrownBy(() -> TopicReplication.from(Map.of(TopicReplication.FACTOR, "three")))
                .hasMessageContaining(TopicReplication.FACTOR);
        assertThatThrownBy(() -> TopicReplication.from(Map.of(TopicReplication.FACTOR, "0")))
                .hasMessageContaining(TopicReplication.FACTOR);
    }

    @Test
    void aNewTopicCarriesTheCataloguesSettingsAndTheseCopies() {
        var t = new TopicReplication((short) 3, 2).newTopic(TopicCatalogue.MIGRATION_EVENTS);
        assertThat(t.replicationFactor()).isEqualTo((short) 3);
        assertThat(t.numPartitions()).isEqualTo(TopicCatalogue.MIGRATION_EVENTS.partitions());
        assertThat(t.configs())
                .containsEntry("min.insync.replicas", "2")
                .containsAllEntriesOf(TopicCatalogue.MIGRATION_EVENTS.config());
    }
}
