package io.vmflow.agent.commands;

import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.kafka.Loops;
import io.vmflow.schemas.kafka.TopicTail;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * How a peer-to-peer source agent talks to the destination agent: it writes commands to the
 * destination host's command topic and waits for that agent's final report on the host-reports
 * topic (followed from its end when this link starts, so only new reports count).
 */
public final class PeerLink implements AutoCloseable {

    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    private final Map<String, CompletableFuture<HostReport>> waiting = new ConcurrentHashMap<>();
    private final TopicTail<HostReport> reports;

    public PeerLink(String hostId, Endpoints endpoints, Producer<String, byte[]> producer, WireFormat wire,
            Loops loops) {
        this.producer = producer;
        this.wire = wire;
        this.reports = new TopicTail<>("peer-link-" + hostId, endpoints, TopicCatalogue.HOST_REPORTS.name(),
                TopicTail.From.END, wire, HostReport.class, (r, report) -> {
                    CompletableFuture<HostReport> f = report.getCommandId() == null ? null
                            : waiting.get(report.getCommandId());
                    if (f != null && isFinal(report.getKind())) {
                        f.complete(report);
                    }
                }, key -> { }, loops, null); // the coordinator's engine dead-letters host reports
    }

    public PeerLink start() {
        reports.start();
        return this;
    }

    /** Sends a command to another host's agent and waits for its final report. */
    public HostReport call(HostCommand command, Duration timeout) throws TimeoutException, InterruptedException {
        CompletableFuture<HostReport> f = waiting.computeIfAbsent(command.getCommandId(), id -> new CompletableFuture<>());
        Topic topic = TopicCatalogue.hostCommands(command.getHostId());
        try {
            producer.send(new ProducerRecord<>(topic.name(), command.getMigrationId(),
                    wire.encode(topic.valueSubject(), command))).get(30, TimeUnit.SECONDS);
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot send " + command.getType() + " to " + command.getHostId() + ": "
                    + e.getCause(), e.getCause());
        } finally {
            waiting.remove(command.getCommandId());
        }
    }

    static boolean isFinal(ReportKind k) {
        return k == ReportKind.COMMAND_SUCCEEDED || k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED;
    }

    @Override
    public void close() {
        reports.close();
    }
}
