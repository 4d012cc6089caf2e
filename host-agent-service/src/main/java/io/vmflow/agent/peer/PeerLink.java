package io.vmflow.agent.peer;

import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
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
import org.apache.kafka.common.KafkaException;

/**
 * How a peer-to-peer source agent talks to the destination agent: it writes commands to its own
 * peer-command topic (which only it may write, and every agent reads) and waits for the destination
 * agent's final report on that host's report topic (every host's, followed from their end when this
 * link starts, so only new reports count). No agent can write another host's command topic.
 */
public final class PeerLink implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PeerLink.class);

    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    /** Where this agent's peer commands go: its own topic, whoever they are for. */
    private final Topic topic;

    private final Map<String, CompletableFuture<HostReport>> waiting = new ConcurrentHashMap<>();
    /** Migrations whose abort arrived, and when: their calls to the peer end at once. */
    private final Map<String, java.time.Instant> abandoned = new ConcurrentHashMap<>();
    /** Calls made after the guest left the source: an abort cannot take them back, so it does not end them. */
    private final java.util.Set<String> committed = ConcurrentHashMap.newKeySet();

    private final TopicTail<HostReport> reports;

    public PeerLink(
            String hostId, Endpoints endpoints, Producer<String, byte[]> producer, WireFormat wire, Loops loops) {
        this.producer = producer;
        this.wire = wire;
        this.topic = TopicCatalogue.peerCommands(hostId);
        this.reports = new TopicTail<>(
                "peer-link-" + hostId,
                endpoints,
                TopicCatalogue.everyHost(TopicCatalogue.HOST_REPORTS_TEMPLATE),
                TopicTail.From.END,
                wire,
                HostReport.class,
                (r, report) -> {
                    CompletableFuture<HostReport> f =
                            report.getCommandId() == null ? null : waiting.get(report.getCommandId());
                    // an answer counts only from the topic of the host it names (which only that host writes)
                    boolean fromItsHost = TopicCatalogue.isHostsOwn(
                            TopicCatalogue.HOST_REPORTS_TEMPLATE, r.topic(), report.getHostId());
                    if (f != null && isFinal(report.getKind()) && fromItsHost) {
                        f.complete(report);
                    }
                },
                tombstone -> {},
                loops,
                null); // the coordinator's engine dead-letters host reports
    }

    public PeerLink start() {
        reports.start();
        return this;
    }

    /**
     * Sends a command to another host's agent and waits for its final report. While the broker (or the
     * registry) cannot take the command it is sent again, for at most {@code deliverWithin} (null: until
     * it is delivered, or this thread is interrupted); then the answer is awaited for {@code answerWithin}.
     * An ABORT of the migration ends the call ({@link Abandoned}) unless it is {@code committed}: made
     * after the guest left the source, when only the destination can say how the migration ended.
     *
     * @throws TimeoutException saying whether the command was not delivered or not answered
     */
    public HostReport call(HostCommand command, Duration deliverWithin, Duration answerWithin, boolean committed)
            throws TimeoutException, InterruptedException, Abandoned {
        CompletableFuture<HostReport> f =
                waiting.computeIfAbsent(command.getCommandId(), id -> new CompletableFuture<>());
        if (committed) {
            this.committed.add(command.getCommandId());
        }
        long giveUp = deliverWithin == null ? Long.MAX_VALUE : System.nanoTime() + deliverWithin.toNanos();
        long backoffMs = 500;
        try {
            while (true) {
                if (!committed && abandoned(command.getMigrationId())) {
                    throw new Abandoned(command.getType() + " for " + command.getMigrationId());
                }
                try {
                    producer.send(new ProducerRecord<>(
                                    topic.name(), command.getMigrationId(), wire.encode(topic.valueSubject(), command)))
                            .get(30, TimeUnit.SECONDS);
                    break;
                } catch (ExecutionException | TimeoutException | KafkaException e) {
                    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                    if (System.nanoTime() > giveUp) {
                        throw new TimeoutException(
                                "could not deliver " + command.getType() + " to " + command.getHostId()
                                        + "'s agent within " + deliverWithin.toSeconds() + " s: " + cause);
                    }
                    LOG.warn(
                            "cannot deliver {} to {} yet ({}); retrying in {} ms",
                            command.getType(),
                            command.getHostId(),
                            cause,
                            backoffMs);
                    Thread.sleep(backoffMs);
                    backoffMs = Math.min(backoffMs * 2, 5000);
                }
            }
            try {
                HostReport answer = f.get(answerWithin.toMillis(), TimeUnit.MILLISECONDS);
                if (!command.getHostId().equals(answer.getHostId())) {
                    throw new IllegalStateException(command.getType() + " for " + command.getHostId()
                            + " was answered by " + answer.getHostId());
                }
                return answer;
            } catch (TimeoutException e) {
                throw new TimeoutException(command.getHostId() + "'s agent did not answer " + command.getType()
                        + " within " + answerWithin.toSeconds() + " s");
            } catch (java.util.concurrent.CancellationException e) {
                throw new Abandoned(command.getType() + " for " + command.getMigrationId());
            } catch (ExecutionException e) {
                throw new IllegalStateException("waiting for " + command.getType() + ": " + e.getCause(), e.getCause());
            }
        } finally {
            waiting.remove(command.getCommandId());
            this.committed.remove(command.getCommandId());
        }
    }

    /**
     * An ABORT arrived for this migration: a call waiting for the peer ends now, and no later one
     * starts, so a hand-off never goes on to migrate a guest whose migration was aborted; a committed
     * call (FINISH, once the guest left) goes on. Kept an hour.
     */
    public void abandon(String migrationId) {
        java.time.Instant now = java.time.Instant.now();
        abandoned.values().removeIf(at -> at.isBefore(now.minusSeconds(3600)));
        abandoned.put(migrationId, now);
        waiting.forEach((commandId, f) -> {
            if (commandId.startsWith(migrationId + ":") && !committed.contains(commandId)) {
                f.cancel(false);
            }
        });
    }

    /** Whether an ABORT arrived for this migration. */
    public boolean abandoned(String migrationId) {
        return abandoned.containsKey(migrationId);
    }

    /** The migration was aborted while a call to the peer was under way. */
    public static final class Abandoned extends Exception {
        Abandoned(String what) {
            super("aborted while talking to the destination agent (" + what + ")");
        }
    }

    public static boolean isFinal(ReportKind k) {
        return k == ReportKind.COMMAND_SUCCEEDED || k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED;
    }

    @Override
    public void close() {
        reports.close();
    }
}
