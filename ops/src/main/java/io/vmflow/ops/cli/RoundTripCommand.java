package io.vmflow.ops.cli;

import io.vmflow.avro.Actor;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;

/**
 * Proves a stack works end to end: writes a few events through the registry in the Confluent wire
 * format to the smoke-test topic (never the audit log), reads them back from the broker, and checks
 * that they are equal and that the schema id in the bytes is the registry's id for the subject.
 */
@Command(
        name = "roundtrip",
        mixinStandardHelpOptions = true,
        description = "Write events to the smoke-test topic through the registry, read them back, compare.")
final class RoundTripCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        SchemaRegistryClient registry = endpoints.registry();
        WireFormat wire = new WireFormat(registry);
        Topic topic = TopicCatalogue.SMOKE_TEST;
        List<MigrationEvent> sent =
                events("roundtrip-" + UUID.randomUUID().toString().substring(0, 8));

        System.out.println("Kafka " + endpoints.bootstrapServers() + ", registry " + endpoints.registryUrl());
        long firstOffset = -1;
        int partition = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("vmflow-roundtrip"))) {
            for (MigrationEvent e : sent) {
                RecordMetadata m = producer.send(new ProducerRecord<>(
                                topic.name(), e.getMigrationId(), wire.encode(topic.valueSubject(), e)))
                        .get();
                if (firstOffset < 0) {
                    firstOffset = m.offset();
                    partition = m.partition();
                }
            }
        }
        int registeredId = registry.latest(topic.valueSubject()).id();
        System.out.printf(
                "wrote %d events to %s; subject %s has schema id %d%n",
                sent.size(), topic.name(), topic.valueSubject(), registeredId);

        List<MigrationEvent> received = new ArrayList<>();
        boolean idsMatch = true;
        TopicPartition tp = new TopicPartition(topic.name(), partition);
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(endpoints.consumer(null, "vmflow-roundtrip"))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, firstOffset);
            Instant deadline = Instant.now().plusSeconds(30);
            while (received.size() < sent.size() && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    int id = WireFormat.schemaId(r.value());
                    idsMatch &= id == registeredId;
                    MigrationEvent e = wire.decode(r.value(), MigrationEvent.class);
                    System.out.printf(
                            "read %s-%d@%d  schema id %d  %s%n",
                            r.topic(), r.partition(), r.offset(), id, EventLine.of(e));
                    received.add(e);
                }
            }
        }
        boolean equal = received.equals(sent);
        System.out.printf(
                "round trip %s: %d/%d events read back equal; schema ids in the bytes %s the registry's%n",
                equal && idsMatch ? "OK" : "FAILED",
                equal ? received.size() : 0,
                sent.size(),
                idsMatch ? "match" : "DO NOT match");
        return equal && idsMatch ? 0 : 1;
    }

    private static List<MigrationEvent> events(String migrationId) {
        MigrationSpec spec = MigrationSpec.newBuilder()
                .setGuest("smoke-test")
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .build();
        Phase[] phases = {Phase.REQUESTED, Phase.ACCEPTED, Phase.SCHEDULED};
        List<MigrationEvent> events = new ArrayList<>();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        for (int i = 0; i < phases.length; i++) {
            events.add(MigrationEvent.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setMigrationId(migrationId)
                    .setSequence(i + 1)
                    .setPreviousPhase(i == 0 ? null : phases[i - 1])
                    .setPhase(phases[i])
                    .setOccurredAt(now)
                    .setActor(Actor.OPERATOR)
                    .setActorId("vmflow roundtrip")
                    .setPrincipal(System.getProperty("user.name"))
                    .setSpec(spec)
                    .build());
        }
        return events;
    }
}
