package io.vmflow.agent.commands;

import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a peer-to-peer source agent talks to the destination agent: it writes commands to the
 * destination host's command topic and waits for that agent's final report on the host-reports
 * topic (read from its end when this link starts, so only new reports count).
 */
public final class PeerLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);

    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, CompletableFuture<HostReport>> waiting = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    public PeerLink(String hostId, Endpoints endpoints, Producer<String, byte[]> producer, WireFormat wire) {
        this.producer = producer;
        this.wire = wire;
        this.consumer = new KafkaConsumer<>(endpoints.consumer(null, "vmflow-agent-" + hostId + "-peer"));
        String topic = TopicCatalogue.HOST_REPORTS.name();
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // fix the starting point now, before any command is sent
        this.thread = new Thread(this::run, "peer-link-" + hostId);
        thread.setDaemon(true);
    }

    public PeerLink start() {
        thread.start();
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

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                    if (waiting.isEmpty() || r.value() == null) {
                        continue;
                    }
                    try {
                        HostReport report = wire.decode(r.value(), HostReport.class);
                        CompletableFuture<HostReport> f = report.getCommandId() == null ? null
                                : waiting.get(report.getCommandId());
                        if (f != null && isFinal(report.getKind())) {
                            f.complete(report);
                        }
                    } catch (UndecodableRecordException e) {
                        // not ours to dead-letter: the coordinator owns this topic's consumption
                        LOG.debug("skipping an undecodable report at {}@{}: {}", r.partition(), r.offset(), e.getMessage());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    static boolean isFinal(ReportKind k) {
        return k == ReportKind.COMMAND_SUCCEEDED || k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
