package io.vmflow.ops.setup;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.HostCommand;
import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** Topic and schema setup against the real broker and registry: created once, idempotent after. */
class SetupIT {

    @Test
    void topicsAreCreatedFromTheCatalogueOnceAndLeftAloneAfter() throws Exception {
        String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
        Topic commands = TopicCatalogue.hostCommands(host);
        List<Topic> topics = List.of(commands);
        try (Admin admin = RealStack.admin()) {
            TopicSetup setup = new TopicSetup(admin);
            assertThat(setup.ensure(topics))
                    .extracting(TopicSetup.Outcome::status)
                    .containsExactly("created");
            assertThat(setup.ensure(topics))
                    .extracting(TopicSetup.Outcome::status)
                    .containsExactly("exists");

            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, commands.name());
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("retention.ms").value())
                    .isEqualTo(commands.config().get("retention.ms"));
            assertThat(config.get("segment.index.bytes").value())
                    .as("a host's topics map small indexes")
                    .isEqualTo("65536");
            assertThat(config.get("min.insync.replicas").value())
                    .as("one broker: one copy must hold a write")
                    .isEqualTo("1");
            assertThat(admin.describeTopics(List.of(commands.name()))
                            .allTopicNames()
                            .get()
                            .get(commands.name())
                            .partitions())
                    .hasSize(commands.partitions());
        }
    }

    @Test
    void everyFixedTopicOfTheCatalogueExistsOnTheStack() throws Exception {
        try (Admin admin = RealStack.admin()) {
            assertThat(admin.listTopics().names().get())
                    .containsAll(TopicCatalogue.FIXED.stream().map(Topic::name).toList());
            Map<String, ?> created = admin.describeTopics(
                            TopicCatalogue.FIXED.stream().map(Topic::name).toList())
                    .allTopicNames()
                    .get();
            assertThat(created).hasSize(TopicCatalogue.FIXED.size());
        }
    }

    @Test
    void schemasAreRegisteredWithBackwardCompatibilityAndTheSameIdsTheSecondTime() {
        String host = "it-" + UUID.randomUUID().toString().substring(0, 8);
        List<Topic> topics = List.of(TopicCatalogue.hostCommands(host));
        SchemaSetup setup = new SchemaSetup(RealStack.registry());
        List<SchemaSetup.Outcome> first = setup.run(topics, true);
        List<SchemaSetup.Outcome> second = setup.run(topics, true);
        assertThat(first)
                .singleElement()
                .satisfies(o -> assertThat(o.compatible()).isTrue());
        assertThat(second.get(0).id()).isEqualTo(first.get(0).id());
        SchemaRegistryClient registry = RealStack.registry();
        String subject = TopicCatalogue.hostCommands(host).valueSubject();
        assertThat(registry.latest(subject).schema()).isEqualTo(HostCommand.SCHEMA$);
        assertThat(registry.compatibility(subject).name()).isEqualTo("BACKWARD");
        assertThat(setup.run(topics, false))
                .singleElement()
                .satisfies(o -> assertThat(o.compatible()).isTrue());
    }
}
