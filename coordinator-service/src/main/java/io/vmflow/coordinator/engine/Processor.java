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
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
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
    private final Migrations migrations = new Migrations();
    private final Work work;

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
        this.records = new Records(config.id(), wire, inventory, config.leaseGrace());
        this.work = new Work(migrations, records, machine, epoch);
        this.validator = new Validator(inventory, config.destinations(), this::activeMigrationOf);
        this.planner = new Planner(inventory, host -> (int) openOf(Migrations::openTo, host)
                .filter(m -> m.phase().isInFlight())
                .count());
        this.admission = new Admission(config.outboundPerHost(), config.inboundPerHost(), config.clusterWide());
    }

    /** This instance's migrations (its partitions'), by id. */
    Migrations migrations() {
        return migrations;
    }

    /** The records the work since the last commit produced, in order. */
    List<ProducerRecord<String, byte[]>> pending() {
        return work.pending();
    }

    /** One consumed record: a request, a cancel or a report; what cannot be used is dead-lettered. */
    void handle(ConsumerRecord<String, byte[]> r) {
        MDC.put("migrationId", r.key());
        try {
            work.isolated(
                    r.key(),
                    () -> dispatch(r),
                    e -> work.deadLetter(r, ReasonCode.PROCESSING_FAILED.name(), e.toString(), e));
        } finally {
            MDC.remove("migrationId");
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            work.deadLetter(r, UndecodableRecordException.Reason.NULL_VALUE.name(), "the record has no value", null);
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
            work.deadLetter(r, e.reason().name(), e.getMessage(), e);
            if (topic.equals(TopicCatalogue.MIGRATION_REQUESTS.name())
                    && r.key() != null
                    && Validator.ID.matcher(r.key()).matches()
                    && !migrations.containsKey(r.key())) {
                // the migration id is known: say REJECTED where auditors look
                work.add(records.event(
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
            work.deadLetter(
                    raw, ReasonCode.INVALID_REQUEST.name(), "requestId '" + id + "' cannot be a migration id", null);
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
        work.creating(id);
        Tracked t = new Tracked(null, Instant.now(), req.getPriority(), null, null, Instant.now());
        t = work.apply(t, machine.request(id, id, req.getPrincipal(), req.getSpec()));
        Optional<io.vmflow.avro.Reason> invalid = validator.check(req);
        Input next = invalid.<Input>map(Input.Invalid::new).orElseGet(() -> planner.plan(req.getSpec()));
        work.apply(t, machine.on(t.m(), next));
    }

    private void onCancel(ConsumerRecord<String, byte[]> raw, CancelRequest c) {
        Tracked t = migrations.get(c.getMigrationId());
        if (t == null) {
            work.deadLetter(
                    raw,
                    ReasonCode.UNKNOWN_MIGRATION.name(),
                    "no migration " + c.getMigrationId() + " to cancel",
                    null);
            return;
        }
        Step s = machine.on(t.m(), new Input.Cancel(c.getPrincipal(), c.getReason(), Instant.now()));
        work.apply(t, s);
        s.effects().stream()
                .filter(e -> e instanceof Effect.Refused)
                .findFirst()
                .ifPresent(
                        e -> work.deadLetter(raw, ReasonCode.CANCEL_REFUSED.name(), ((Effect.Refused) e).why(), null));
    }

    private void onReport(ConsumerRecord<String, byte[]> raw, HostReport r) {
        String topicHost = TopicCatalogue.hostOf(TopicCatalogue.HOST_REPORTS_TEMPLATE, raw.topic())
                .orElse(null);
        if (!r.getHostId().equals(topicHost)) {
            // only a host's agent may write its topic: a report naming another host is forged or broken
            work.deadLetter(
                    raw,
                    ReasonCode.NOT_ITS_HOST.name(),
                    "a report naming " + r.getHostId() + " on " + raw.topic() + ", which only " + topicHost
                            + "'s agent writes",
                    null);
            return;
        }
        if (r.getMigrationId() == null || r.getCommandType() == null) {
            return; // about the host, not a migration
        }
        Tracked t = migrations.get(r.getMigrationId());
        if (t == null) {
            // reports are partitioned like requests: this instance owns every migration its partitions hold
            work.deadLetter(
                    raw,
                    ReasonCode.UNKNOWN_MIGRATION.name(),
                    "no migration " + r.getMigrationId() + " on this coordinator's"
                            + " partitions (a command sent by hand, or a migration whose snapshot could not be read)",
                    null);
            return;
        }
        work.apply(
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
        for (Tracked t : List.copyOf(migrations.open())) {
            work.isolated(
                    t.m().id(),
                    () -> {
                        Step s = machine.on(t.m(), new Input.Tick(now, t.phaseSince(), observingSince));
                        if (!s.effects().isEmpty() || !s.migration().equals(t.m())) {
                            work.apply(t, s);
                        }
                    },
                    e -> {});
        }
    }

    void admit(Instant now) {
        List<Tracked> waiting = migrations.open().stream()
                .filter(t -> Admission.waiting(t.m()))
                .sorted((a, b) -> Admission.order(
                                m -> migrations.get(m.id()).priority(),
                                m -> migrations.get(m.id()).createdAt().toEpochMilli())
                        .compare(a.m(), b.m()))
                .toList();
        if (waiting.isEmpty()) {
            return;
        }
        // the limits count migrations in flight: counted once, then kept as each waiting one is admitted
        Admission.InFlight flying = new Admission.InFlight(openMigrations().toList());
        for (Tracked t : waiting) {
            work.isolated(
                    t.m().id(),
                    () -> {
                        Optional<String> blocker = admission.blocker(t.m(), flying);
                        work.apply(
                                t,
                                machine.on(
                                        t.m(),
                                        blocker.<Input>map(Input.Queued::new).orElse(new Input.Admitted(now))));
                        Tracked after = migrations.get(t.m().id());
                        if (after != null) {
                            flying.add(after.m());
                        }
                    },
                    e -> {});
        }
    }

    void lease(Instant now, int epoch) {
        if (now.isBefore(nextLease)) {
            return;
        }
        nextLease = now.plus(config.leaseInterval());
        List<String> ids = migrations.open().stream()
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
        work.add(records.lease(new CoordinatorLease(config.id(), (long) epoch, now, now.plus(config.leaseTtl()), ids)));
    }

    /**
     * The open migrations of the cluster: this instance's own, and the others' as their snapshots last
     * said (another instance's admissions are seen once committed, so with several instances a limit can
     * be overshot by what they admit in the same instant). Admission counts them each round: a stream
     * over the open ones only, not a copy (ended ones outnumber them more every hour, and scanning those
     * was a fifth of the engine's CPU at fleet scale). Intake and the planner ask the indexes ({@link #openOf}).
     */
    private Stream<Migration> openMigrations() {
        return Stream.concat(
                migrations.open().stream().map(Tracked::m),
                cluster.tracked().open().stream()
                        .filter(t -> !migrations.containsKey(t.m().id()))
                        .map(Tracked::m));
    }

    /** The open migrations of the cluster one index names (a guest's, those into a host): own and the others'. */
    private Stream<Migration> openOf(BiFunction<Migrations, String, Collection<Tracked>> index, String key) {
        return Stream.concat(
                index.apply(migrations, key).stream().map(Tracked::m),
                index.apply(cluster.tracked(), key).stream()
                        .filter(t -> !migrations.containsKey(t.m().id()))
                        .map(Tracked::m));
    }

    private Optional<String> activeMigrationOf(String guest) {
        return openOf(Migrations::openOfGuest, guest)
                .filter(m -> m.phase() != MigrationPhase.REQUESTED)
                .map(Migration::id)
                .findFirst();
    }
}
