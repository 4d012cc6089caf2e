package io.vmflow.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.avro.HostCommand;
import io.vmflow.schemas.SampleRecords;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicCatalogueTest {

    @Test
    void topicNamesAreUniqueAndPrefixed() {
        List<String> names = TopicCatalogue.all(List.of("hostA", "hostB")).stream()
                .map(Topic::name)
                .toList();
        assertThat(names).doesNotHaveDuplicates().allMatch(n -> n.startsWith("vmflow."));
        assertThat(names)
                .contains(
                        "vmflow.host-commands.hostA",
                        "vmflow.host-commands.hostB",
                        "vmflow.host-reports.hostA",
                        "vmflow.host-state.hostB");
    }

    @Test
    void everyAvroTopicHasASampleRecordOfItsValueType() {
        List<Topic> avroTopics =
                TopicCatalogue.FIXED.stream().filter(t -> t.valueType() != null).toList();
        assertThat(SampleRecords.byTopic().keySet().stream().map(Topic::name))
                .containsAll(avroTopics.stream().map(Topic::name).toList());
        SampleRecords.byTopic().forEach((topic, record) -> assertThat(record).isInstanceOf(topic.valueType()));
    }

    @Test
    void auditLogIsKeptForeverAndHostStateIsCompacted() {
        assertThat(TopicCatalogue.MIGRATION_EVENTS.config()).containsEntry("retention.ms", "-1");
        assertThat(TopicCatalogue.hostState("hv-07").config()).containsEntry("cleanup.policy", "compact");
        assertThat(TopicCatalogue.DEAD_LETTER.valueType()).isNull();
    }

    @Test
    void perHostTopicsKeepSmallIndexesAndTheSharedOnesKafkasDefault() {
        for (Topic template : TopicCatalogue.PER_HOST) {
            assertThat(TopicCatalogue.forHost(template, "hv-07").config())
                    .as(template.name())
                    .containsEntry("segment.index.bytes", "65536");
        }
        assertThat(TopicCatalogue.hostState("hv-07").config()).containsEntry("cleanup.policy", "compact");
        assertThat(TopicCatalogue.FIXED)
                .allSatisfy(t -> assertThat(t.config()).doesNotContainKey("segment.index.bytes"));
    }

    @Test
    void compactedTopicsCloseSegmentsOftenSoThatAStartReadsLittleHistory() {
        assertThat(TopicCatalogue.hostState("hv-07").config()).containsEntry("segment.ms", "600000");
        assertThat(TopicCatalogue.COORDINATOR_LEASES.config()).containsEntry("segment.ms", "600000");
        assertThat(TopicCatalogue.MIGRATION_SNAPSHOTS.config())
                .containsEntry("cleanup.policy", "compact")
                .containsEntry("segment.ms", "600000")
                .containsEntry("segment.bytes", Integer.toString(16 << 20));
    }

    @Test
    void eachHostHasItsOwnCommandTopic() {
        Topic t = TopicCatalogue.hostCommands("hv-07");
        assertThat(t.name()).isEqualTo("vmflow.host-commands.hv-07");
        assertThat(t.valueType()).isEqualTo(HostCommand.class);
        assertThat(t.valueSubject()).isEqualTo("vmflow.host-commands.hv-07-value");
        assertThat(TopicCatalogue.byName("vmflow.host-commands.hv-07")).contains(t);
        assertThat(TopicCatalogue.byName("vmflow.migration-events")).contains(TopicCatalogue.MIGRATION_EVENTS);
        assertThat(TopicCatalogue.byName("vmflow.nope")).isEmpty();
    }

    @Test
    void eachHostHasItsOwnReportAndStateTopicsThatReadersFollowByPattern() {
        Topic reports = TopicCatalogue.hostReports("hv-07");
        assertThat(reports.name()).isEqualTo("vmflow.host-reports.hv-07");
        assertThat(reports.partitions())
                .as("keyed and partitioned like requests")
                .isEqualTo(TopicCatalogue.MIGRATION_REQUESTS.partitions());
        assertThat(TopicCatalogue.byName("vmflow.host-state.hv-07")).contains(TopicCatalogue.hostState("hv-07"));
        assertThat(TopicCatalogue.hostOf(TopicCatalogue.HOST_REPORTS_TEMPLATE, "vmflow.host-reports.hv-07"))
                .contains("hv-07");
        assertThat(TopicCatalogue.hostOf(TopicCatalogue.HOST_REPORTS_TEMPLATE, "vmflow.host-state.hv-07"))
                .isEmpty();
        assertThat(TopicCatalogue.everyHost(TopicCatalogue.HOST_REPORTS_TEMPLATE)
                        .matcher("vmflow.host-reports.hv-07")
                        .matches())
                .isTrue();
        assertThat(TopicCatalogue.everyHost(TopicCatalogue.HOST_REPORTS_TEMPLATE)
                        .matcher("vmflow.host-reportsXhv")
                        .matches())
                .isFalse();
    }

    @Test
    void hostIdsThatCannotNameATopicAreRefusedWithTheRule() {
        for (String bad : new String[] {"", "a/b", "-x", "host A", "h".repeat(64), "a.b"}) {
            assertThatThrownBy(() -> TopicCatalogue.hostCommands(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("letters, digits");
        }
        assertThat(TopicCatalogue.isValidHostId(null)).isFalse();
    }
}
