package io.vmflow.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.runtime.json.RecordJson;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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

/**
 * Asks vmflow to migrate a guest and prints its events as they happen: by the coordinator's API (a POST,
 * then its event stream), or, when the API cannot be asked or with --via-topics, a request on the
 * requests topic and the audit log.
 */
@Command(
        name = "migrate",
        mixinStandardHelpOptions = true,
        description = "Request a migration and print its events until it ends (exit 0 when it SUCCEEDED).")
final class MigrateCommand implements Callable<Integer> {

    /** The phases a migration ends in, by name (the API's JSON has names; naming Avro's enum costs a start). */
    static final Set<String> FINAL = Set.of("SUCCEEDED", "FAILED", "ABORTED", "REJECTED", "GUEST_LEFT_PAUSED");

    @Mixin
    SpecOptions options;

    @Option(names = "--source", required = true, description = "Source host id.")
    String source;

    @Option(
            names = "--transport",
            defaultValue = "NATIVE",
            description = "NATIVE or TUNNELLED (default ${DEFAULT-VALUE}).")
    String transport;

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
    String onTimeout;

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

    @Option(
            names = "--via-topics",
            description = "Write the request on the requests topic and read the audit log, rather than ask the"
                    + " coordinator's API (what the command does when the API cannot be asked).")
    boolean viaTopics;

    /** The request's spec, as the flags describe it (the contract's record: for the requests topic). */
    MigrationSpec spec() {
        return options.spec(source)
                .setTransport(SpecOptions.named(Transport.class, "--transport", transport))
                .setSourceUri(sourceUri)
                .setMaxDowntimeMs(maxDowntime)
                .setCompletionTimeoutSecondsPerGiB(timeoutPerGiB)
                .setAutoConverge(autoConverge)
                .setPostCopy(postCopy)
                .setTls(tls)
                .setOnTimeout(SpecOptions.named(TimeoutPolicy.class, "--on-timeout", onTimeout))
                .build();
    }

    /** The request as the coordinator's API takes it: the same spec as {@link #spec()}, in JSON. */
    Map<String, Object> body(String requestId) {
        Map<String, Object> body = options.json(source);
        body.put("transport", transport);
        body.put("sourceUri", sourceUri);
        body.put("maxDowntimeMs", maxDowntime);
        body.put("completionTimeoutSecondsPerGiB", timeoutPerGiB);
        body.put("autoConverge", autoConverge);
        body.put("postCopy", postCopy);
        body.put("tls", tls);
        body.put("onTimeout", onTimeout);
        body.put("requestId", requestId);
        body.put("priority", priority);
        body.put("reason", reason);
        body.values().removeIf(Objects::isNull);
        return body;
    }

    @Override
    public Integer call() throws Exception {
        StageTrace.mark("command parsed");
        Endpoints endpoints = Endpoints.fromEnvironment();
        String requestId =
                id != null ? id : "mig-" + UUID.randomUUID().toString().substring(0, 8);
        if (!viaTopics) {
            Optional<Integer> asked = viaApi(CoordinatorApi.fromEnvironment(endpoints), requestId);
            if (asked.isPresent()) {
                return asked.get();
            }
        }
        return viaTopics(endpoints, requestId, spec());
    }

    /**
     * The request by the coordinator's API, then its events as the coordinator commits them (a
     * server-sent event stream): no Kafka client to start. Empty when the API cannot be asked.
     */
    private Optional<Integer> viaApi(CoordinatorApi api, String requestId) {
        Optional<CoordinatorApi.Answer> answer = api.post("migrations", body(requestId));
        if (answer.isEmpty()) {
            return Optional.empty();
        }
        if (answer.get().status() != 202) {
            System.err.println("vmflow migrate: the coordinator refused the request: "
                    + answer.get().error());
            return Optional.of(1);
        }
        StageTrace.mark("request accepted by the coordinator");
        requested(requestId);
        if (noWait) {
            return Optional.of(0);
        }
        Outcome outcome = new Outcome();
        if (!api.follow("migrations/" + URLEncoder.encode(requestId, StandardCharsets.UTF_8) + "/stream", outcome::show)
                || outcome.exit == null) {
            System.err.println("vmflow migrate: the coordinator's event stream ended before the migration did;"
                    + " follow it with: vmflow events --follow --migration " + requestId);
            return Optional.of(1);
        }
        return Optional.of(outcome.exit);
    }

    private void requested(String requestId) {
        System.out.println("requested migration " + requestId + " of " + options.guest + " from " + source
                + (options.destination == null ? "" : " to " + options.destination)
                + " (" + options.flow + ", " + transport + ")");
    }

    /** The request on the requests topic, then its events from the audit log (two Kafka clients). */
    private int viaTopics(Endpoints endpoints, String requestId, MigrationSpec spec) throws Exception {
        WireFormat wire = new WireFormat(endpoints.registry());
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
            requested(requestId);
            if (noWait) {
                return 0;
            }
            Outcome outcome = new Outcome();
            ObjectMapper json =
                    new ObjectMapper(); // here, not at class load: the API path needs none before its answer
            while (true) {
                for (ConsumerRecord<String, byte[]> r : events.poll(Duration.ofMillis(300))) {
                    if (requestId.equals(r.key())
                            && !outcome.show(
                                    json.valueToTree(RecordJson.of(wire.decode(r.value(), MigrationEvent.class))))) {
                        return outcome.exit;
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

    /** Prints a migration's events as they come, and the result line after its final one. */
    static final class Outcome {

        private Instant first;
        private JsonNode figures;
        /** How the command exits, once a final event was shown. */
        Integer exit;

        /** Shows one event (the API's JSON); false once it was of a final phase. */
        boolean show(JsonNode e) {
            String phase = e.path("phase").asText();
            if (first == null) {
                StageTrace.mark("first event read: " + phase);
            }
            System.out.println(EventLine.of(e));
            Instant at = Instant.parse(e.path("occurredAt").asText());
            first = first == null ? at : first;
            figures = EventLine.present(e, "figures") ? e.get("figures") : figures;
            if (!FINAL.contains(phase)) {
                return true;
            }
            StageTrace.mark("final event read: " + phase);
            System.out.println(result(e, Duration.between(first, at), figures));
            exit = "SUCCEEDED".equals(phase) ? 0 : 1;
            return false;
        }
    }

    /** The last line: "result: SUCCEEDED in 4.2 s; 139 MiB copied; 3 passes; downtime 31 ms" (scripts read it). */
    static String result(JsonNode last, Duration took, JsonNode f) {
        StringBuilder b = new StringBuilder("result: ")
                .append(last.path("phase").asText())
                .append(String.format(" in %.1f s", took.toMillis() / 1000.0));
        if (f != null && EventLine.present(f, "dataProcessedBytes")) {
            b.append("; ").append(f.get("dataProcessedBytes").asLong() >> 20).append(" MiB copied");
        }
        if (f != null && EventLine.present(f, "iteration")) {
            long n = f.get("iteration").asLong();
            b.append("; ").append(n).append(n == 1 ? " pass" : " passes");
        }
        if (f != null && EventLine.present(f, "downtimeMs")) {
            b.append("; downtime ").append(f.get("downtimeMs").asLong()).append(" ms");
        }
        JsonNode reason = last.path("reason");
        if (EventLine.present(reason, "code")) {
            b.append("; ")
                    .append(reason.get("code").asText())
                    .append(": ")
                    .append(reason.path("message").asText());
        }
        return b.toString();
    }
}
