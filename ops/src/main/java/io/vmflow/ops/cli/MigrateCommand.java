package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Asks vmflow to migrate a guest (a request on the requests topic) and prints its events as they happen. */
@Command(
        name = "migrate",
        mixinStandardHelpOptions = true,
        description = "Request a migration and print its events until it ends (exit 0 when it SUCCEEDED).")
final class MigrateCommand implements Callable<Integer> {

    static final Set<Phase> FINAL =
            EnumSet.of(Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.REJECTED, Phase.GUEST_LEFT_PAUSED);

    @Mixin
    SpecOptions options;

    @Option(names = "--source", required = true, description = "Source host id.")
    String source;

    @Option(
            names = "--transport",
            defaultValue = "NATIVE",
            description = "NATIVE or TUNNELLED (default ${DEFAULT-VALUE}).")
    Transport transport;

    @Option(names = "--source-uri", description = "Seed URI 1: the source's libvirt URI (default: its registration).")
    String sourceUri;

    @Option(names = "--max-downtime", description = "Maximum downtime, ms.")
    Long maxDowntime;

    @Option(names = "--timeout-per-gib", description = "Completion timeout per GiB of guest memory, s.")
    Long timeoutPerGiB;

    @Option(names = "--auto-converge", description = "Throttle the guest's CPUs if it does not converge.")
    boolean autoConverge;

    @Option(names = "--post-copy", description = "Allow post-copy.")
    boolean postCopy;

    @Option(
            names = "--tls",
            description = "QEMU's own TLS on the native stream (libvirt's VIR_MIGRATE_TLS; managed flows,"
                    + " transport NATIVE; the hosts need QEMU's migration certificates).")
    boolean tls;

    @Option(
            names = "--on-timeout",
            defaultValue = "ABORT",
            description = "ABORT, RAISE_MAX_DOWNTIME, AUTO_CONVERGE, POST_COPY.")
    TimeoutPolicy onTimeout;

    @Option(
            names = "--priority",
            defaultValue = "0",
            description = "Higher starts first when limits make requests wait.")
    int priority;

    @Option(names = "--id", description = "Request id (default: a new one; the same id again is the same migration).")
    String id;

    @Option(names = "--reason", description = "Why (kept in the audit log).")
    String reason;

    @Option(
            names = {"--detach", "--no-wait"},
            description = "Send the request and return its id.")
    boolean noWait;

    /** The request's spec, as the flags describe it. */
    MigrationSpec spec() {
        return options.spec(source)
                .setTransport(transport)
                .setSourceUri(sourceUri)
                .setMaxDowntimeMs(maxDowntime)
                .setCompletionTimeoutSecondsPerGiB(timeoutPerGiB)
                .setAutoConverge(autoConverge)
                .setPostCopy(postCopy)
                .setTls(tls)
                .setOnTimeout(onTimeout)
                .build();
    }

    @Override
    public Integer call() throws Exception {
        StageTrace.mark("command parsed");
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        String requestId =
                id != null ? id : "mig-" + UUID.randomUUID().toString().substring(0, 8);
        MigrationSpec spec = spec();
        MigrationRequest request = new MigrationRequest(
                requestId, spec, System.getProperty("user.name"), "vmflow-cli", reason, priority, Instant.now());
        String topic = TopicCatalogue.MIGRATION_EVENTS.name();
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("vmflow-cli"));
        boolean producerOpen = true;
        KafkaConsumer<String, byte[]> events = new KafkaConsumer<>(endpoints.consumer(null, "vmflow-cli-migrate"));
        try {
            StageTrace.mark("Kafka clients made");
            List<TopicPartition> tps = events.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            events.assign(tps);
            if (id != null) {
                events.seekToBeginning(tps); // the same id again: show what already happened too
            } else {
                // a new id has no history: start at the end (resolved now, before the request is sent),
                // so the command does not replay the audit log, however long it has grown
                events.seekToEnd(tps);
                tps.forEach(events::position);
            }
            StageTrace.mark("events positioned");
            byte[] encoded = wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), request);
            StageTrace.mark("request encoded (schema registered)");
            producer.send(new ProducerRecord<>(TopicCatalogue.MIGRATION_REQUESTS.name(), requestId, encoded))
                    .get();
            StageTrace.mark("request acknowledged by the broker");
            // nothing more to send: let the producer go now rather than on the way out
            producer.close(Duration.ZERO);
            producerOpen = false;
            StageTrace.mark("producer closed");
            System.out.println("requested migration " + requestId + " of " + spec.getGuest() + " from " + source
                    + (spec.getDestinationHost() == null ? "" : " to " + spec.getDestinationHost())
                    + " (" + spec.getControlFlow() + ", " + transport + ")");
            if (noWait) {
                return 0;
            }
            Instant first = null;
            io.vmflow.avro.JobFigures figures = null;
            while (true) {
                for (ConsumerRecord<String, byte[]> r : events.poll(Duration.ofMillis(300))) {
                    if (!requestId.equals(r.key())) {
                        continue;
                    }
                    MigrationEvent e = wire.decode(r.value(), MigrationEvent.class);
                    if (first == null) {
                        StageTrace.mark("first event read: " + e.getPhase());
                    }
                    System.out.println(EventLine.of(e));
                    first = first == null ? e.getOccurredAt() : first;
                    figures = e.getFigures() != null ? e.getFigures() : figures;
                    if (FINAL.contains(e.getPhase())) {
                        StageTrace.mark("final event read: " + e.getPhase());
                        System.out.println(result(e, Duration.between(first, e.getOccurredAt()), figures));
                        return e.getPhase() == Phase.SUCCEEDED ? 0 : 1;
                    }
                }
            }
        } finally {
            if (producerOpen) {
                producer.close(Duration.ZERO);
            }
            // no group, no offsets to commit: nothing to wait for (a default close waits out a fetch)
            events.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
        }
    }

    /** The last line: "result: SUCCEEDED in 4.2 s; 139 MiB copied; 3 passes; downtime 31 ms" (scripts read it). */
    static String result(MigrationEvent last, Duration took, io.vmflow.avro.JobFigures f) {
        StringBuilder b = new StringBuilder("result: ")
                .append(last.getPhase())
                .append(String.format(" in %.1f s", took.toMillis() / 1000.0));
        if (f != null && f.getDataProcessedBytes() != null) {
            b.append("; ").append(f.getDataProcessedBytes() >> 20).append(" MiB copied");
        }
        if (f != null && f.getIteration() != null) {
            b.append("; ").append(f.getIteration()).append(f.getIteration() == 1 ? " pass" : " passes");
        }
        if (f != null && f.getDowntimeMs() != null) {
            b.append("; downtime ").append(f.getDowntimeMs()).append(" ms");
        }
        if (last.getReason() != null) {
            b.append("; ")
                    .append(last.getReason().getCode())
                    .append(": ")
                    .append(last.getReason().getMessage());
        }
        return b.toString();
    }
}
