package io.vmflow.coordinator.engine;

import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.runtime.management.ServiceMetrics;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session of the engine with Kafka: a consumer in the coordinators' group (static membership,
 * read_committed) on requests, cancels and reports, and a transactional producer that writes each
 * round's records with the consumed offsets. A failure the broker causes becomes an {@link Outage};
 * fencing (another instance with this id) is thrown as it is.
 */
final class KafkaSession {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSession.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final AutoCloseable consumerMetrics;
    private final AutoCloseable producerMetrics;

    /**
     * What the engine reads: requests, cancels and every host's reports, all keyed by migration id with
     * as many partitions, so the range assignor gives an instance partition p of each (the migrations
     * of its request partitions, and their reports).
     */
    static final java.util.regex.Pattern INPUTS = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(
                    TopicCatalogue.MIGRATION_REQUESTS.name())
            + "|" + java.util.regex.Pattern.quote(TopicCatalogue.CANCEL_REQUESTS.name())
            + "|"
            + TopicCatalogue.everyHost(TopicCatalogue.HOST_REPORTS_TEMPLATE).pattern());

    KafkaSession(CoordinatorConfig config, ConsumerRebalanceListener rebalance, ServiceMetrics metrics) {
        Properties c = config.endpoints().consumer(Engine.GROUP, config.id());
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        // static membership: a restarted instance takes its partitions back at once, without a rebalance
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.id());
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 15_000);
        // every host's report topic is followed by pattern: a new host's is found within seconds
        c.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        // a client id of its own: two clients with one id would share (and fight over) their metrics
        Properties p =
                config.endpoints().transactionalProducer(config.id() + "-engine", "vmflow-coordinator-" + config.id());
        KafkaProducer<String, byte[]> prod = null;
        KafkaConsumer<String, byte[]> cons = null;
        try {
            prod = new KafkaProducer<>(p);
            cons = new KafkaConsumer<>(c);
            prod.initTransactions();
        } catch (RuntimeException e) {
            if (cons != null) {
                cons.close(CloseOptions.timeout(Duration.ZERO));
            }
            if (prod != null) {
                prod.close(Duration.ZERO);
            }
            if (e instanceof KafkaException
                    && !(e instanceof ProducerFencedException)
                    && !(e instanceof FencedInstanceIdException)) {
                throw new Outage("cannot connect to Kafka: " + e, e);
            }
            throw e;
        }
        producer = prod;
        consumer = cons;
        consumerMetrics = metrics.bind(consumer);
        producerMetrics = metrics.bind(producer);
        consumer.subscribe(INPUTS, rebalance);
    }

    ConsumerRecords<String, byte[]> poll() {
        try {
            return consumer.poll(Duration.ofMillis(200));
        } catch (WakeupException | FencedInstanceIdException e) {
            throw e;
        } catch (KafkaException e) {
            throw new Outage("polling failed: " + e, e);
        } catch (IllegalStateException e) {
            throw clientFailed(e);
        }
    }

    /**
     * A consumer whose own threads failed is of no more use (seen: its heartbeat thread completing a
     * ListOffsets answer that a timed-out {@link #probeEnds} had given up on, "Invalid attempt to
     * complete a request future which is already complete"; the consumer then throws it from every
     * call). That is the client's fault, not the engine's: the session ends as in an outage, and a new
     * one, with new clients, resumes from the last commit. Anything else is rethrown as it is.
     */
    private static RuntimeException clientFailed(IllegalStateException e) {
        StackTraceElement[] at = e.getStackTrace();
        if (at.length > 0 && at[0].getClassName().startsWith("org.apache.kafka.clients.")) {
            LOG.error("the Kafka consumer failed inside its client; starting a new session", e);
            return new Outage("the Kafka consumer failed inside its client: " + e.getMessage(), e);
        }
        return e;
    }

    /**
     * Whether the consumer is in its group (a generation given, the assignment's partitions restored by
     * the rebalance listener, which runs inside the poll that joins).
     */
    boolean joined() {
        return consumer.groupMetadata().generationId() > 0;
    }

    /** The fencing epoch of this instance's commands: its consumer-group generation. */
    int epoch() {
        return Math.max(0, consumer.groupMetadata().generationId());
    }

    /** Where each assigned partition ends now (called when partitions are assigned). */
    Map<TopicPartition, Long> endOffsets() {
        return consumer.endOffsets(consumer.assignment());
    }

    /** Where each assigned partition ends now, or null when the broker does not answer within a second. */
    Map<TopicPartition, Long> probeEnds() {
        try {
            return consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(1));
        } catch (KafkaException e) {
            return null;
        } catch (IllegalStateException e) {
            throw clientFailed(e);
        }
    }

    /** Whether the consumer has read every assigned partition at least to {@code targets}. */
    boolean reached(Map<TopicPartition, Long> targets) {
        try {
            for (Map.Entry<TopicPartition, Long> e : targets.entrySet()) {
                if (consumer.assignment().contains(e.getKey())
                        && consumer.position(e.getKey(), Duration.ofSeconds(1)) < e.getValue()) {
                    return false;
                }
            }
            return true;
        } catch (KafkaException e) {
            return false; // the broker away: asked again next round
        } catch (IllegalStateException e) {
            throw clientFailed(e);
        }
    }

    /**
     * Writes records and offsets in one transaction. A transaction the broker refuses is aborted, then
     * {@code rewind} rebuilds the engine's state and the consumer goes back to the last commit; one that
     * cannot even be aborted (the broker gone for longer than the client waits) is an outage: a new
     * session's producer resumes from the commit.
     */
    void commit(
            List<ProducerRecord<String, byte[]>> out, Map<TopicPartition, OffsetAndMetadata> offsets, Runnable rewind) {
        try {
            producer.beginTransaction();
            for (ProducerRecord<String, byte[]> r : out) {
                producer.send(r);
            }
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(Map.copyOf(offsets), consumer.groupMetadata());
            }
            producer.commitTransaction();
        } catch (ProducerFencedException | FencedInstanceIdException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("transaction failed ({}); rewinding to the last committed state", e.toString());
            try {
                producer.abortTransaction();
                rewind.run();
                for (TopicPartition tp : consumer.assignment()) {
                    OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
                    if (committed != null) {
                        consumer.seek(tp, committed);
                    } else {
                        consumer.seekToBeginning(List.of(tp));
                    }
                }
            } catch (ProducerFencedException | FencedInstanceIdException f) {
                throw f;
            } catch (KafkaException | IllegalStateException f) {
                // e.g. a commit that timed out: Kafka's producer then refuses the abort until the commit is
                // retried; a new producer (its initTransactions aborts this one's transaction) is simpler
                throw new Outage("the broker did not take a transaction (" + e + ") nor its abort (" + f + ")", f);
            }
        }
    }

    /** Ends a poll in progress (from another thread). */
    void wakeup() {
        consumer.wakeup();
    }

    /** A clean stop leaves the group, handing the partitions over at once (static members keep them a session). */
    void close(boolean leaveGroup) {
        for (AutoCloseable m : List.of(consumerMetrics, producerMetrics)) {
            try {
                m.close(); // a session's meters go with it: the next session's clients bring their own
            } catch (Exception e) {
                LOG.debug("closing client metrics: {}", e.toString());
            }
        }
        try {
            consumer.close(
                    leaveGroup
                            ? CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                                    .withTimeout(Duration.ofSeconds(10))
                            : CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            LOG.warn("closing the consumer: {}", e.toString());
        }
        try {
            producer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warn("closing the producer: {}", e.toString());
        }
    }
}
