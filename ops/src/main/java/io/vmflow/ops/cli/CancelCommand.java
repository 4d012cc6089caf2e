package io.vmflow.ops.cli;

import io.vmflow.avro.CancelRequest;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Asks vmflow to cancel a migration; its events say what happened to the guest. */
@Command(
        name = "cancel",
        mixinStandardHelpOptions = true,
        description = "Cancel a migration (see its events for the outcome).")
final class CancelCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The migration id.")
    String migrationId;

    @Option(names = "--reason", description = "Why (kept in the audit log).")
    String reason;

    @Override
    public Integer call() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        CancelRequest c = new CancelRequest(
                "cancel-" + UUID.randomUUID().toString().substring(0, 8),
                migrationId,
                System.getProperty("user.name"),
                reason,
                Instant.now());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("vmflow-cli"))) {
            producer.send(new ProducerRecord<>(
                            TopicCatalogue.CANCEL_REQUESTS.name(),
                            migrationId,
                            wire.encode(TopicCatalogue.CANCEL_REQUESTS.valueSubject(), c)))
                    .get();
        }
        System.out.println("cancel requested for " + migrationId + "; follow it with: vmflow events --migration "
                + migrationId + " --follow");
        return 0;
    }
}
