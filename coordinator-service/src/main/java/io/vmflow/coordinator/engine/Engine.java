package io.vmflow.coordinator.engine;

import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.statemachine.MigrationMachine;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.management.ServiceMetrics;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's single-threaded engine: read-process-write in Kafka transactions. Each loop
 * reads requests, cancels and agent reports (read_committed, one consumer group, partitions by
 * migration id), hands them to the {@link Processor} (which runs them through the state machine, and
 * admission, timeouts and the lease each round), and writes every resulting event, command, snapshot
 * and dead letter together with the consumed offsets in one transaction ({@link KafkaSession}): the
 * audit log is complete, in order per migration, and without duplicates even across crashes. A started
 * or rebalanced engine resumes from the compacted snapshot topic ({@link Snapshots}).
 */
public final class Engine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    public static final String GROUP = "vmflow-coordinator";

    private final CoordinatorConfig config;
    private final Snapshots snapshots;
    private final ServiceMetrics metrics;
    private final Processor processor;
    private final Migrations migrations;
    /** The current session with Kafka (null between sessions). */
    private volatile KafkaSession session;

    private final ClusterView cluster;
    private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    private final List<ProducerRecord<String, byte[]>> out;
    private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    private final Loops.Loop loop;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean serving;
    /** Counted down the first time the engine has read its partitions' backlog. */
    private final CountDownLatch caughtUpOnce = new CountDownLatch(1);

    private Instant nextTick = Instant.EPOCH;
    /** Where each assigned partition ended when it was assigned: caught up once read that far. */
    private volatile Map<TopicPartition, Long> catchUpTo;
    /** Since when this session has seen every report (null: still reading the backlog). */
    private Instant observingSince;
    /** Whether the broker stopped answering the once-a-second probe (a consumer's poll does not say). */
    private boolean brokerAway;

    private Instant nextProbe = Instant.EPOCH;

    public Engine(
            CoordinatorConfig config,
            MigrationMachine machine,
            Inventory inventory,
            WireFormat wire,
            ClusterView cluster,
            Loops loops,
            ServiceMetrics metrics) {
        this.metrics = metrics;
        this.config = config;
        this.cluster = cluster;
        this.snapshots = new Snapshots(config, wire);
        this.processor = new Processor(config, machine, inventory, wire, cluster, () -> session.epoch());
        this.migrations = processor.migrations();
        this.out = processor.pending();
        this.loop = loops.register("coordinator-engine");
        this.thread = new Thread(this::run, "coordinator-engine");
    }

    /** Starts the engine's thread; it connects, restores its partitions and serves, and reconnects after outages. */
    public Engine start() {
        thread.start();
        return this;
    }

    /** Every migration of the cluster, this instance's own as it knows them now (for the API). */
    public List<MigrationView> views() {
        Map<String, MigrationView> v = new HashMap<>();
        cluster.views().forEach(m -> v.put(m.id(), m));
        migrations.values().forEach(t -> v.put(t.m().id(), MigrationView.of(t)));
        return List.copyOf(v.values());
    }

    public Optional<MigrationView> view(String id) {
        Tracked t = migrations.get(id);
        return t != null ? Optional.of(MigrationView.of(t)) : cluster.view(id);
    }

    /** Waits until the engine has once read every record its partitions held when they were assigned. */
    public boolean awaitCaughtUp(Duration d) throws InterruptedException {
        return caughtUpOnce.await(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Whether the engine is serving: in its group with its partitions' migrations restored (false while
     * it connects, joins, restores, or waits out an outage).
     */
    public boolean isServing() {
        return serving;
    }

    /**
     * Sessions, one after another: an outage of the broker or the registry ends a session, which
     * drops its uncommitted work (nothing was decided that is not in the log) and starts again from
     * the last commit after a pause. Only fencing (another instance with this id) or a bug ends it.
     */
    private void run() {
        long backoffMs = 500;
        try {
            while (running) {
                try {
                    session = new KafkaSession(config, new Rebalance(), metrics);
                    serve();
                } catch (Outage e) {
                    if (!running) {
                        break;
                    }
                    serving = false;
                    loop.note("waiting: " + e.getMessage());
                    LOG.warn("{}; reconnecting in {} ms and resuming from the last commit", e.getMessage(), backoffMs);
                    disconnect(false);
                    loop.pause(backoffMs, () -> running);
                    backoffMs = Math.min(backoffMs * 2, 5000);
                    continue;
                }
                break;
            }
        } catch (WakeupException e) {
            if (running) {
                loop.died(e);
            }
        } catch (ProducerFencedException | FencedInstanceIdException e) {
            LOG.error("another coordinator instance with id {} took over; this one stops", config.id());
            loop.died(e);
        } catch (RuntimeException | Error e) {
            loop.died(e);
        } finally {
            serving = false;
            loop.stopped();
            disconnect(true);
        }
    }

    private void serve() {
        while (running) {
            loop.beat();
            ConsumerRecords<String, byte[]> polled = session.poll();
            // a poll also returns while the group is still forming: serving once in it, its partitions restored
            serving = session.joined();
            loop.note(null);
            for (ConsumerRecord<String, byte[]> r : polled) {
                processor.handle(r);
                offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            Instant now = Instant.now();
            probeBroker(now);
            if (observingSince == null && !brokerAway && caughtUp()) {
                observingSince = now;
                caughtUpOnce.countDown();
                LOG.info("caught up with every report of partitions {}: deadlines count from now", owned);
            }
            if (observingSince != null && !now.isBefore(nextTick)) {
                processor.tick(now, observingSince);
                nextTick = now.plusSeconds(1);
            }
            processor.admit(now);
            processor.lease(now, session.epoch());
            commit();
        }
    }

    /**
     * Once a second, whether the broker answers. While it does not, reports pile up in the agents'
     * producers, so no deadline may pass: the clock stops, and when the broker answers again this
     * session first reads every record written until then, and deadlines count from there (a migration
     * that finished during the outage is not timed out by the reports that arrive late).
     */
    private void probeBroker(Instant now) {
        if (now.isBefore(nextProbe)) {
            return;
        }
        nextProbe = now.plusSeconds(1);
        Map<TopicPartition, Long> ends = session.probeEnds();
        if (ends == null) {
            if (!brokerAway) {
                LOG.warn("the broker does not answer: deadlines stop until it does and every report since is read");
            }
            brokerAway = true;
            observingSince = null;
        } else if (brokerAway) {
            brokerAway = false;
            catchUpTo = ends;
            LOG.info("the broker answers again: reading what was written meanwhile before deadlines count again");
        }
    }

    /**
     * Whether this session has read every record its partitions held when they were assigned: before
     * that, a deadline could pass on a migration whose answer is waiting in the backlog (after a
     * restart or an outage), so no clock ticks until then.
     */
    private boolean caughtUp() {
        Map<TopicPartition, Long> targets = catchUpTo;
        return targets != null && session.reached(targets);
    }

    /** Writes this round's records and offsets in one transaction; a refused one rewinds to the last commit. */
    private void commit() {
        if (out.isEmpty() && offsets.isEmpty()) {
            return;
        }
        try {
            session.commit(out, offsets, () -> snapshots.restore(migrations, new HashSet<>(owned)));
        } finally {
            out.clear();
            offsets.clear();
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Set<Integer> fresh = new HashSet<>();
            partitions.stream()
                    .filter(tp -> tp.topic().equals(TopicCatalogue.MIGRATION_REQUESTS.name()))
                    .forEach(tp -> fresh.add(tp.partition()));
            owned.addAll(fresh);
            snapshots.restore(migrations, fresh);
            observingSince = null;
            catchUpTo = session.endOffsets();
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Set<Integer> gone = new HashSet<>();
            partitions.stream()
                    .filter(tp -> tp.topic().equals(TopicCatalogue.MIGRATION_REQUESTS.name()))
                    .forEach(tp -> gone.add(tp.partition()));
            owned.removeAll(gone);
            migrations.removeIf(id -> gone.contains(Snapshots.partitionOf(id)));
        }
    }

    private void disconnect(boolean leaveGroup) {
        KafkaSession ending = session;
        session = null;
        out.clear();
        offsets.clear();
        if (ending != null) {
            ending.close(leaveGroup);
        }
        if (!leaveGroup) {
            // what this session held is rebuilt from the snapshots by the next one
            migrations.clear();
            owned.clear();
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaSession current = session;
        if (current != null) {
            current.wakeup();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
