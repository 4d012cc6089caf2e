package io.vmflow.coordinator.engine;

import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.avro.Actor;
import io.vmflow.avro.CancelRequest;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.avro.Phase;
import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.coordinator.intake.Validator;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.planning.Admission;
import io.vmflow.coordinator.planning.Planner;
import io.vmflow.coordinator.statemachine.Effect;
import io.vmflow.coordinator.statemachine.Input;
import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationMachine;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import io.vmflow.coordinator.statemachine.Step;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.DecodingConsumer;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.registry.RegistryUnavailableException;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The coordinator's single-threaded engine: read-process-write in Kafka transactions. Each loop
 * reads requests, cancels and agent reports (read_committed, one consumer group, partitions by
 * migration id), feeds them to the state machine, runs admission, timeouts and the lease, and writes
 * every resulting event, command, snapshot and dead letter together with the consumed offsets in one
 * transaction: the audit log is complete, in order per migration, and without duplicates even across
 * crashes. A started or rebalanced engine resumes from the compacted snapshot topic.
 */
public final class Engine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    public static final String GROUP = "vmflow-coordinator";

    private final CoordinatorConfig config;
    private final MigrationMachine machine;
    private final Inventory inventory;
    private final WireFormat wire;
    private final Validator validator;
    private final Planner planner;
    private final Admission admission;
    private KafkaConsumer<String, byte[]> consumer;
    private KafkaProducer<String, byte[]> producer;
    private final Map<String, Tracked> migrations = new ConcurrentHashMap<>();
    private final ClusterView cluster;
    private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    private final List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    /** What each migration was before the record being processed touched it (null: it did not exist). */
    private final Map<String, Optional<Tracked>> undo = new HashMap<>();
    private final Loops.Loop loop;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean serving;
    private Instant nextLease = Instant.EPOCH;
    private Instant nextTick = Instant.EPOCH;
    /** Where each assigned partition ended when it was assigned: caught up once read that far. */
    private volatile Map<TopicPartition, Long> catchUpTo;
    /** Since when this session has seen every report (null: still reading the backlog). */
    private Instant observingSince;
    private boolean leaseWasEmpty = true;

    public Engine(CoordinatorConfig config, MigrationMachine machine, Inventory inventory, WireFormat wire,
            ClusterView cluster, Loops loops) {
        this.config = config;
        this.cluster = cluster;
        this.machine = machine;
        this.inventory = inventory;
        this.wire = wire;
        this.validator = new Validator(inventory, this::activeMigrationOf);
        this.planner = new Planner(inventory, host -> (int) allMigrations().stream()
                .filter(m -> m.phase().isInFlight() && host.equals(m.destinationHost())).count());
        this.admission = new Admission(config.outboundPerHost(), config.inboundPerHost(), config.clusterWide());
        this.loop = loops.register("coordinator-engine");
        this.thread = new Thread(this::run, "coordinator-engine");
    }

    /** Starts the engine's thread; it connects, restores its partitions and serves, and reconnects after outages. */
    public Engine start() {
        thread.start();
        return this;
    }

    /** A consumer in the coordinators' group and a transactional producer: one session of the engine. */
    private void connect() {
        Properties c = config.endpoints().consumer(GROUP, config.id());
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        // static membership: a restarted instance takes its partitions back at once, without a rebalance
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.id());
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 15_000);
        Properties p = config.endpoints().producer(config.id());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "vmflow-coordinator-" + config.id());
        producer = new KafkaProducer<>(p);
        consumer = new KafkaConsumer<>(c);
        producer.initTransactions();
        consumer.subscribe(List.of(TopicCatalogue.MIGRATION_REQUESTS.name(), TopicCatalogue.CANCEL_REQUESTS.name(),
                TopicCatalogue.HOST_REPORTS.name()), new Rebalance());
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

    /** Whether the engine is connected and serving (false while it waits out an outage). */
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
                    try {
                        connect();
                    } catch (ProducerFencedException | FencedInstanceIdException e) {
                        throw e;
                    } catch (KafkaException e) {
                        throw new Outage("cannot connect to Kafka: " + e, e);
                    }
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
            ConsumerRecords<String, byte[]> records;
            try {
                records = consumer.poll(Duration.ofMillis(200));
            } catch (WakeupException | FencedInstanceIdException e) {
                throw e;
            } catch (KafkaException e) {
                throw new Outage("polling failed: " + e, e);
            }
            serving = true;
            loop.note(null);
            for (ConsumerRecord<String, byte[]> r : records) {
                MDC.put("migrationId", r.key());
                try {
                    isolated(r.key(), () -> dispatch(r), e -> deadLetter(r, ReasonCode.PROCESSING_FAILED.name(),
                            e.toString(), e));
                } finally {
                    MDC.remove("migrationId");
                }
                offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            Instant now = Instant.now();
            if (observingSince == null && caughtUp()) {
                observingSince = now;
                LOG.info("caught up with every report of partitions {}: deadlines count from now", owned);
            }
            if (observingSince != null && !now.isBefore(nextTick)) {
                tick(now);
                nextTick = now.plusSeconds(1);
            }
            admit(now);
            lease(now);
            commit();
        }
    }

    /**
     * Runs one unit of work (one record, or one migration's tick) so that its failure touches nothing
     * else: the records it added and the migrations it changed are rolled back, the migration it is
     * about ({@code id}: a record's key, a ticked migration) and every one it touched end FAILED with
     * INTERNAL_ERROR, and the caller may dead-letter the record. An outage is not the work's fault and
     * ends the session instead.
     */
    private void isolated(String id, Runnable work, java.util.function.Consumer<Throwable> onFailure) {
        int mark = out.size();
        undo.clear();
        Tracked concerned = id == null ? null : migrations.get(id);
        try {
            work.run();
        } catch (RuntimeException | StackOverflowError e) {
            Outage outage = Outage.of(e);
            if (outage != null) {
                throw outage;
            }
            LOG.error("processing {} failed; the migrations it concerns end FAILED (INTERNAL_ERROR)", id, e);
            out.subList(mark, out.size()).clear();
            Map<String, Tracked> failing = new HashMap<>();
            undo.forEach((touched, before) -> before.ifPresentOrElse(t -> {
                migrations.put(touched, t);
                failing.put(touched, t);
            }, () -> migrations.remove(touched)));
            if (concerned != null) {
                failing.putIfAbsent(id, concerned);
            }
            onFailure.accept(e);
            failing.values().forEach(t -> failInternally(t, e));
        } finally {
            undo.clear();
        }
    }

    private void failInternally(Tracked t, Throwable cause) {
        int mark = out.size();
        try {
            apply(t, machine.internalError(t.m(), cause.toString()));
        } catch (RuntimeException e) {
            Outage outage = Outage.of(e);
            if (outage != null) {
                throw outage;
            }
            out.subList(mark, out.size()).clear();
            LOG.error("{}: could not even record its internal error", t.m().id(), e);
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            deadLetter(r, UndecodableRecordException.Reason.NULL_VALUE.name(), "the record has no value", null);
            return;
        }
        String topic = r.topic();
        try {
            if (topic.equals(TopicCatalogue.MIGRATION_REQUESTS.name())) {
                onRequest(r, wire.decode(r.value(), MigrationRequest.class));
            } else if (topic.equals(TopicCatalogue.CANCEL_REQUESTS.name())) {
                onCancel(r, wire.decode(r.value(), CancelRequest.class));
            } else {
                onReport(r, wire.decode(r.value(), HostReport.class));
            }
        } catch (UndecodableRecordException e) {
            if (e.isTransient()) {
                throw new Outage("the schema registry is unavailable: " + e.getMessage(), e);
            }
            deadLetter(r, e.reason().name(), e.getMessage(), e);
            if (topic.equals(TopicCatalogue.MIGRATION_REQUESTS.name()) && r.key() != null
                    && Validator.ID.matcher(r.key()).matches() && !migrations.containsKey(r.key())) {
                // the migration id is known: say REJECTED where auditors look
                out.add(event(r.key(), null, null, MigrationPhase.REJECTED, 1,
                        ReasonCode.UNDECODABLE_REQUEST.reason(e.getMessage()), null, null, false,
                        "unknown", null));
            }
        }
    }

    private void onRequest(ConsumerRecord<String, byte[]> raw, MigrationRequest req) {
        String id = req.getRequestId();
        if (!Validator.ID.matcher(id).matches()) {
            deadLetter(raw, ReasonCode.INVALID_REQUEST.name(), "requestId '" + id + "' cannot be a migration id", null);
            return;
        }
        if (migrations.containsKey(id)) {
            LOG.info("request {} seen again: it is migration {} already ({})", id, id, migrations.get(id).m().phase());
            return;
        }
        undo.putIfAbsent(id, Optional.empty());
        Tracked t = new Tracked(null, Instant.now(), req.getPriority(), null, null, Instant.now());
        t = apply(t, machine.request(id, id, req.getPrincipal(), req.getSpec()));
        Optional<io.vmflow.avro.Reason> invalid = validator.check(req);
        Input next = invalid.<Input>map(Input.Invalid::new).orElseGet(() -> planner.plan(req.getSpec()));
        apply(t, machine.on(t.m(), next));
    }

    private void onCancel(ConsumerRecord<String, byte[]> raw, CancelRequest c) {
        Tracked t = migrations.get(c.getMigrationId());
        if (t == null) {
            deadLetter(raw, ReasonCode.UNKNOWN_MIGRATION.name(), "no migration " + c.getMigrationId() + " to cancel", null);
            return;
        }
        Step s = machine.on(t.m(), new Input.Cancel(c.getPrincipal(), c.getReason(), Instant.now()));
        apply(t, s);
        s.effects().stream().filter(e -> e instanceof Effect.Refused).findFirst().ifPresent(e ->
                deadLetter(raw, ReasonCode.CANCEL_REFUSED.name(), ((Effect.Refused) e).why(), null));
    }

    private void onReport(ConsumerRecord<String, byte[]> raw, HostReport r) {
        if (r.getMigrationId() == null || r.getCommandType() == null) {
            return; // about the host, not a migration
        }
        Tracked t = migrations.get(r.getMigrationId());
        if (t == null) {
            // reports are partitioned like requests: this instance owns every migration its partitions hold
            deadLetter(raw, ReasonCode.UNKNOWN_MIGRATION.name(), "no migration " + r.getMigrationId() + " on this coordinator's"
                    + " partitions (a command sent by hand, or a migration whose snapshot could not be read)", null);
            return;
        }
        apply(t, machine.on(t.m(), new Input.Report(r.getHostId(), r.getCommandType(), r.getKind(), r.getReason(),
                r.getFigures(), r.getDetails(), r.getMigrationUri(), r.getDomainXml(), r.getReportedAt())));
    }

    /**
     * Whether this session has read every record its partitions held when they were assigned: before
     * that, a deadline could pass on a migration whose answer is waiting in the backlog (after a
     * restart or an outage), so no clock ticks until then.
     */
    private boolean caughtUp() {
        Map<TopicPartition, Long> targets = catchUpTo;
        if (targets == null) {
            return false;
        }
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
        }
    }

    private void tick(Instant now) {
        for (Tracked t : List.copyOf(migrations.values())) {
            if (!t.m().phase().isFinal()) {
                isolated(t.m().id(), () -> {
                    Step s = machine.on(t.m(), new Input.Tick(now, t.phaseSince(), observingSince));
                    if (!s.effects().isEmpty() || !s.migration().equals(t.m())) {
                        apply(t, s);
                    }
                }, e -> { });
            }
        }
    }

    private void admit(Instant now) {
        List<Tracked> waiting = migrations.values().stream().filter(t -> Admission.waiting(t.m()))
                .sorted((a, b) -> Admission.order(m -> migrations.get(m.id()).priority(),
                        m -> migrations.get(m.id()).createdAt().toEpochMilli()).compare(a.m(), b.m()))
                .toList();
        for (Tracked t : waiting) {
            isolated(t.m().id(), () -> {
                Optional<String> blocker = admission.blocker(t.m(), allMigrations());
                apply(t, machine.on(t.m(), blocker.<Input>map(Input.Queued::new).orElse(new Input.Admitted(now))));
            }, e -> { });
        }
    }

    private void lease(Instant now) {
        if (now.isBefore(nextLease)) {
            return;
        }
        nextLease = now.plus(config.leaseInterval());
        List<String> ids = migrations.values().stream().map(Tracked::m)
                .filter(m -> m.spec().getControlFlow() == ControlFlow.MANAGED_DIRECT && m.phase().isInFlight())
                .map(Migration::id).sorted().toList();
        if (ids.isEmpty() && leaseWasEmpty) {
            return;
        }
        leaseWasEmpty = ids.isEmpty();
        CoordinatorLease lease = new CoordinatorLease(config.id(), (long) epoch(), now, now.plus(config.leaseTtl()), ids);
        out.add(record(TopicCatalogue.COORDINATOR_LEASES, config.id(), lease));
    }

    /** Applies one step: its effects become records of the current transaction, with a new snapshot. */
    private Tracked apply(Tracked before, Step step) {
        Migration m = step.migration();
        Tracked t = before.with(m);
        for (Effect e : step.effects()) {
            if (e instanceof Effect.Transition tr) {
                out.add(event(m.id(), m, tr.from(), tr.to(), tr.sequence(), tr.reason(), tr.figures(), tr.hostId(),
                        tr.byAgent(), m.principal(), m.requestId()));
                t = t.with(tr.reason(), tr.figures());
                LOG.info("{} {} -> {}{}", m.id(), tr.from(), tr.to(),
                        tr.reason() == null ? "" : " [" + tr.reason().getCode() + "] " + tr.reason().getMessage());
            } else if (e instanceof Effect.Command c) {
                out.add(command(m, c));
            } else if (e instanceof Effect.Refused r) {
                LOG.warn("refused: {}", r.why());
            }
        }
        undo.putIfAbsent(m.id(), Optional.ofNullable(migrations.get(m.id())));
        migrations.put(m.id(), t);
        out.add(record(TopicCatalogue.MIGRATION_SNAPSHOTS, m.id(), t.snapshot(config.id())));
        return t;
    }

    private ProducerRecord<String, byte[]> event(String id, Migration m, MigrationPhase from, MigrationPhase to,
            long seq, io.vmflow.avro.Reason reason, JobFigures figures, String hostId, boolean byAgent,
            String principal, String requestId) {
        Integer pct = null;
        if (figures != null && figures.getDataTotalBytes() != null && figures.getDataTotalBytes() > 0
                && figures.getDataProcessedBytes() != null) {
            pct = (int) Math.min(100, 100 * figures.getDataProcessedBytes() / figures.getDataTotalBytes());
        }
        MigrationEvent e = MigrationEvent.newBuilder()
                .setEventId(id + "#" + seq).setMigrationId(id).setSequence(seq)
                .setPreviousPhase(from == null ? null : Phase.valueOf(from.name())).setPhase(Phase.valueOf(to.name()))
                .setOccurredAt(Instant.now()).setActor(byAgent ? Actor.AGENT : Actor.COORDINATOR)
                .setActorId(byAgent && hostId != null ? hostId : config.id()).setHostId(hostId)
                .setPrincipal(principal).setRequestId(requestId).setSpec(m == null ? null : m.spec())
                .setReason(reason).setFigures(figures).setProgressPercent(pct).build();
        ProducerRecord<String, byte[]> r = record(TopicCatalogue.MIGRATION_EVENTS, id, e);
        CloudEvents.addHeaders(r.headers(), e, config.id());
        return r;
    }

    private ProducerRecord<String, byte[]> command(Migration m, Effect.Command c) {
        HostCommand cmd = HostCommand.newBuilder()
                .setCommandId(m.id() + ":" + c.type().name().toLowerCase() + ":" + c.hostId())
                .setMigrationId(m.id()).setHostId(c.hostId()).setType(c.type()).setEpoch(epoch())
                // the issuer is the group: its generation fences every instance that lost its partitions
                .setIssuer(GROUP).setLeaseHolder(config.id()).setIssuedAt(Instant.now()).setSpec(m.spec())
                .setPeerHost(c.peerHost())
                .setDomainXml(c.domainXml()).setMigrationUri(c.migrationUri()).setReason(c.reason())
                .setLeaseGraceMs(c.type() == CommandType.PERFORM ? config.leaseGrace().toMillis() : null)
                .setDestinationRelay(destinationRelay(m, c))
                .build();
        return record(TopicCatalogue.hostCommands(c.hostId()), m.id(), cmd);
    }

    /**
     * A tunnelled migration's source is told the destination's relay (from its host state) when the
     * destination runs one; without one, peer-to-peer falls back to libvirt's own tunnel.
     */
    private String destinationRelay(Migration m, Effect.Command c) {
        boolean starts = c.type() == CommandType.PERFORM || c.type() == CommandType.HANDOFF_PEER_TO_PEER;
        if (!starts || m.spec().getTransport() != io.vmflow.avro.Transport.TUNNELLED || c.peerHost() == null) {
            return null;
        }
        return inventory.host(c.peerHost()).map(h -> h.getRelayEndpoint()).orElse(null);
    }

    private ProducerRecord<String, byte[]> record(Topic t, String key, org.apache.avro.specific.SpecificRecord v) {
        return new ProducerRecord<>(t.name(), key, wire.encode(t.valueSubject(), v));
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String code, String message, Throwable cause) {
        LOG.warn("dead-lettering {}-{}@{}: {} {}", r.topic(), r.partition(), r.offset(), code, message);
        out.add(DeadLetters.record(r, code, message, cause, GROUP));
    }

    /** The fencing epoch of this instance's commands: its consumer-group generation. */
    private int epoch() {
        return Math.max(0, consumer.groupMetadata().generationId());
    }

    /**
     * This instance's migrations, and the other instances' as their snapshots last said: admission
     * counts them all (another instance's admissions are seen once committed, so with several
     * instances a limit can be overshot by what they admit in the same instant).
     */
    private Collection<Migration> allMigrations() {
        Map<String, Migration> all = new HashMap<>(cluster.migrations());
        migrations.forEach((id, t) -> all.put(id, t.m()));
        return all.values();
    }

    private Optional<String> activeMigrationOf(String guest) {
        return allMigrations().stream()
                .filter(m -> !m.phase().isFinal() && m.phase() != MigrationPhase.REQUESTED)
                .filter(m -> m.spec().getGuest().equals(guest)).map(Migration::id).findFirst();
    }

    /**
     * Writes this round's records and offsets in one transaction. A transaction the broker refuses is
     * aborted and the engine rewinds to the last commit; one that cannot even be aborted (the broker
     * gone for longer than the client waits) ends the session: a new producer resumes from the commit.
     */
    private void commit() {
        if (out.isEmpty() && offsets.isEmpty()) {
            return;
        }
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
                restore(new HashSet<>(owned));
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
        } finally {
            out.clear();
            offsets.clear();
        }
    }

    /** Rebuilds the migrations of some partitions from the compacted snapshot topic. */
    private void restore(Set<Integer> partitions) {
        migrations.keySet().removeIf(id -> partitions.contains(partitionOf(id)));
        if (partitions.isEmpty()) {
            return;
        }
        String topic = TopicCatalogue.MIGRATION_SNAPSHOTS.name();
        TopicTail.readToEnd(config.endpoints(), config.id() + "-restore",
                partitions.stream().map(p -> new TopicPartition(topic, p)).toList(), r -> {
                    if (r.value() == null) {
                        migrations.remove(r.key());
                        return;
                    }
                    try {
                        Tracked t = Tracked.of(wire.decode(r.value(), MigrationSnapshot.class));
                        migrations.put(t.m().id(), t);
                    } catch (UndecodableRecordException e) {
                        if (e.isTransient()) {
                            throw new Outage("the schema registry is unavailable restoring snapshots: "
                                    + e.getMessage(), e);
                        }
                        // not ours (anyone can write to a topic): the migration's last good snapshot stands
                        LOG.error("skipping undecodable snapshot {}@{} of {}: {}", r.partition(), r.offset(), r.key(),
                                e.getMessage());
                    } catch (RuntimeException e) {
                        LOG.error("skipping unusable snapshot {}@{} of {}: {}", r.partition(), r.offset(), r.key(),
                                e.toString());
                    }
                });
        long open = migrations.values().stream().filter(t -> !t.m().phase().isFinal()).count();
        LOG.info("restored {} migrations ({} open) for partitions {}", migrations.size(), open, partitions);
    }

    private static int partitionOf(String id) {
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8)))
                % TopicCatalogue.MIGRATION_SNAPSHOTS.partitions();
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Set<Integer> fresh = new HashSet<>();
            partitions.stream().filter(tp -> tp.topic().equals(TopicCatalogue.MIGRATION_REQUESTS.name()))
                    .forEach(tp -> fresh.add(tp.partition()));
            owned.addAll(fresh);
            restore(fresh);
            observingSince = null;
            catchUpTo = consumer.endOffsets(consumer.assignment());
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Set<Integer> gone = new HashSet<>();
            partitions.stream().filter(tp -> tp.topic().equals(TopicCatalogue.MIGRATION_REQUESTS.name()))
                    .forEach(tp -> gone.add(tp.partition()));
            owned.removeAll(gone);
            migrations.keySet().removeIf(id -> gone.contains(partitionOf(id)));
        }
    }

    private void disconnect(boolean leaveGroup) {
        KafkaConsumer<String, byte[]> c = consumer;
        KafkaProducer<String, byte[]> p = producer;
        consumer = null;
        producer = null;
        out.clear();
        offsets.clear();
        if (c != null) {
            try {
                // a clean stop hands the partitions over at once (static members otherwise keep them a session)
                c.close(leaveGroup
                        ? CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                                .withTimeout(Duration.ofSeconds(10))
                        : CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                LOG.warn("closing the consumer: {}", e.toString());
            }
        }
        if (p != null) {
            try {
                p.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("closing the producer: {}", e.toString());
            }
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
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The broker or the registry cannot be reached: not any record's fault; the session starts again. */
    static final class Outage extends RuntimeException {
        Outage(String message, Throwable cause) {
            super(message, cause);
        }

        /** The outage a failure amounts to, or null when it is the work's own fault. */
        static Outage of(Throwable e) {
            if (e instanceof Outage o) {
                return o;
            }
            if (e instanceof RegistryUnavailableException) {
                return new Outage("the schema registry is unavailable: " + e.getMessage(), e);
            }
            if (e instanceof UndecodableRecordException u && u.isTransient()) {
                return new Outage("the schema registry is unavailable: " + e.getMessage(), e);
            }
            return null;
        }
    }
}
