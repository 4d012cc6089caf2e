package io.vmflow.coordinator.engine;

import io.vmflow.avro.CancelRequest;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.MigrationRequest;
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
import io.vmflow.runtime.serde.UndecodableRecordException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What the coordinator does with each input, between the engine's loop and the pure state machine:
 * a request is validated and planned, a cancel or a report is handed to its migration, the clock
 * ticks deadlines and admission, and every step the machine returns becomes records (events, commands,
 * a snapshot) for the engine's next transaction. Each unit of work is isolated: one that throws is
 * rolled back and fails only the migrations it concerns.
 */
final class Processor {

    private static final Logger LOG = LoggerFactory.getLogger(Processor.class);

    private final CoordinatorConfig config;
    private final MigrationMachine machine;
    private final WireFormat wire;
    private final Records records;
    private final ClusterView cluster;
    private final Validator validator;
    private final Planner planner;
    private final Admission admission;
    private final IntSupplier epoch;
    private final Map<String, Tracked> migrations = new ConcurrentHashMap<>();
    private final List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    /** What each migration was before the record being processed touched it (null: it did not exist). */
    private final Map<String, Optional<Tracked>> undo = new HashMap<>();

    private boolean leaseWasEmpty = true;
    private Instant nextLease = Instant.EPOCH;

    /** @param epoch the fencing epoch of commands written now (the session's group generation) */
    Processor(
            CoordinatorConfig config,
            MigrationMachine machine,
            Inventory inventory,
            WireFormat wire,
            ClusterView cluster,
            IntSupplier epoch) {
        this.config = config;
        this.machine = machine;
        this.wire = wire;
        this.cluster = cluster;
        this.epoch = epoch;
        this.records = new Records(config.id(), wire, inventory, config.leaseGrace());
        this.validator = new Validator(inventory, this::activeMigrationOf);
        this.planner = new Planner(inventory, host -> (int) allMigrations().stream()
                .filter(m -> m.phase().isInFlight() && host.equals(m.destinationHost()))
                .count());
        this.admission = new Admission(config.outboundPerHost(), config.inboundPerHost(), config.clusterWide());
    }

    /** This instance's migrations (its partitions'), by id. */
    Map<String, Tracked> migrations() {
        return migrations;
    }

    /** The records the work since the last commit produced, in order. */
    List<ProducerRecord<String, byte[]>> pending() {
        return out;
    }

    /** One consumed record: a request, a cancel or a report; what cannot be used is dead-lettered. */
    void handle(ConsumerRecord<String, byte[]> r) {
        MDC.put("migrationId", r.key());
        try {
            isolated(
                    r.key(),
                    () -> dispatch(r),
                    e -> deadLetter(r, ReasonCode.PROCESSING_FAILED.name(), e.toString(), e));
        } finally {
            MDC.remove("migrationId");
        }
    }

    /**
     * Runs one unit of work (one record, or one migration's tick) so that its failure touches nothing
     * else: the records it added and the migrations it changed are rolled back, the migration it is
     * about ({@code id}: a record's key, a ticked migration) and every one it touched end FAILED with
     * INTERNAL_ERROR, and the caller may dead-letter the record. An outage is not the work's fault and
     * ends the session instead.
     */
    private void isolated(String id, Runnable work, Consumer<Throwable> onFailure) {
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
            undo.forEach((touched, before) -> before.ifPresentOrElse(
                    t -> {
                        migrations.put(touched, t);
                        failing.put(touched, t);
                    },
                    () -> migrations.remove(touched)));
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
            if (topic.equals(TopicCatalogue.MIGRATION_REQUESTS.name())
                    && r.key() != null
                    && Validator.ID.matcher(r.key()).matches()
                    && !migrations.containsKey(r.key())) {
                // the migration id is known: say REJECTED where auditors look
                out.add(records.event(
                        r.key(),
                        null,
                        null,
                        MigrationPhase.REJECTED,
                        1,
                        ReasonCode.UNDECODABLE_REQUEST.reason(e.getMessage()),
                        null,
                        null,
                        false,
                        "unknown",
                        null));
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
            LOG.info(
                    "request {} seen again: it is migration {} already ({})",
                    id,
                    id,
                    migrations.get(id).m().phase());
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
            deadLetter(
                    raw,
                    ReasonCode.UNKNOWN_MIGRATION.name(),
                    "no migration " + c.getMigrationId() + " to cancel",
                    null);
            return;
        }
        Step s = machine.on(t.m(), new Input.Cancel(c.getPrincipal(), c.getReason(), Instant.now()));
        apply(t, s);
        s.effects().stream()
                .filter(e -> e instanceof Effect.Refused)
                .findFirst()
                .ifPresent(e -> deadLetter(raw, ReasonCode.CANCEL_REFUSED.name(), ((Effect.Refused) e).why(), null));
    }

    private void onReport(ConsumerRecord<String, byte[]> raw, HostReport r) {
        if (r.getMigrationId() == null || r.getCommandType() == null) {
            return; // about the host, not a migration
        }
        Tracked t = migrations.get(r.getMigrationId());
        if (t == null) {
            // reports are partitioned like requests: this instance owns every migration its partitions hold
            deadLetter(
                    raw,
                    ReasonCode.UNKNOWN_MIGRATION.name(),
                    "no migration " + r.getMigrationId() + " on this coordinator's"
                            + " partitions (a command sent by hand, or a migration whose snapshot could not be read)",
                    null);
            return;
        }
        apply(
                t,
                machine.on(
                        t.m(),
                        new Input.Report(
                                r.getHostId(),
                                r.getCommandType(),
                                r.getKind(),
                                r.getReason(),
                                r.getFigures(),
                                r.getDetails(),
                                r.getMigrationUri(),
                                r.getDomainXml(),
                                r.getReportedAt())));
    }

    void tick(Instant now, Instant observingSince) {
        for (Tracked t : List.copyOf(migrations.values())) {
            if (!t.m().phase().isFinal()) {
                isolated(
                        t.m().id(),
                        () -> {
                            Step s = machine.on(t.m(), new Input.Tick(now, t.phaseSince(), observingSince));
                            if (!s.effects().isEmpty() || !s.migration().equals(t.m())) {
                                apply(t, s);
                            }
                        },
                        e -> {});
            }
        }
    }

    void admit(Instant now) {
        List<Tracked> waiting = migrations.values().stream()
                .filter(t -> Admission.waiting(t.m()))
                .sorted((a, b) -> Admission.order(
                                m -> migrations.get(m.id()).priority(),
                                m -> migrations.get(m.id()).createdAt().toEpochMilli())
                        .compare(a.m(), b.m()))
                .toList();
        for (Tracked t : waiting) {
            isolated(
                    t.m().id(),
                    () -> {
                        Optional<String> blocker = admission.blocker(t.m(), allMigrations());
                        apply(
                                t,
                                machine.on(
                                        t.m(),
                                        blocker.<Input>map(Input.Queued::new).orElse(new Input.Admitted(now))));
                    },
                    e -> {});
        }
    }

    void lease(Instant now, int epoch) {
        if (now.isBefore(nextLease)) {
            return;
        }
        nextLease = now.plus(config.leaseInterval());
        List<String> ids = migrations.values().stream()
                .map(Tracked::m)
                .filter(m -> m.spec().getControlFlow() == ControlFlow.MANAGED_DIRECT
                        && m.phase().isInFlight())
                .map(Migration::id)
                .sorted()
                .toList();
        if (ids.isEmpty() && leaseWasEmpty) {
            return;
        }
        leaseWasEmpty = ids.isEmpty();
        out.add(records.lease(new CoordinatorLease(config.id(), (long) epoch, now, now.plus(config.leaseTtl()), ids)));
    }

    /** Applies one step: its effects become records of the current transaction, with a new snapshot. */
    private Tracked apply(Tracked before, Step step) {
        Migration m = step.migration();
        Tracked t = before.with(m);
        for (Effect e : step.effects()) {
            if (e instanceof Effect.Transition tr) {
                out.add(records.event(m, tr));
                t = t.with(tr.reason(), tr.figures());
                LOG.info(
                        "{} {} -> {}{}",
                        m.id(),
                        tr.from(),
                        tr.to(),
                        tr.reason() == null
                                ? ""
                                : " [" + tr.reason().getCode() + "] "
                                        + tr.reason().getMessage());
            } else if (e instanceof Effect.Command c) {
                out.add(records.command(m, c, epoch.getAsInt()));
            } else if (e instanceof Effect.Refused r) {
                LOG.warn("refused: {}", r.why());
            }
        }
        undo.putIfAbsent(m.id(), Optional.ofNullable(migrations.get(m.id())));
        migrations.put(m.id(), t);
        out.add(records.snapshot(t));
        return t;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> r, String code, String message, Throwable cause) {
        LOG.warn("dead-lettering {}-{}@{}: {} {}", r.topic(), r.partition(), r.offset(), code, message);
        out.add(records.deadLetter(r, code, message, cause));
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
                .filter(m -> m.spec().getGuest().equals(guest))
                .map(Migration::id)
                .findFirst();
    }
}
