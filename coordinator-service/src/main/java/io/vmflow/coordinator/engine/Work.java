package io.vmflow.coordinator.engine;

import io.vmflow.coordinator.statemachine.Effect;
import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationMachine;
import io.vmflow.coordinator.statemachine.Step;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work of the engine's current transaction: the records it will write (events, commands,
 * snapshots, dead letters, in order) and the migrations as that work left them, with what each was
 * before the unit of work in progress touched it, so that a unit that throws is rolled back alone.
 */
final class Work {

    private static final Logger LOG = LoggerFactory.getLogger(Work.class);

    private final Migrations migrations;
    private final Records records;
    private final MigrationMachine machine;
    private final IntSupplier epoch;
    private final List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    /** What each migration was before the unit in progress touched it (empty: it did not exist). */
    private final Map<String, Optional<Tracked>> undo = new HashMap<>();

    Work(Migrations migrations, Records records, MigrationMachine machine, IntSupplier epoch) {
        this.migrations = migrations;
        this.records = records;
        this.machine = machine;
        this.epoch = epoch;
    }

    /** The records produced since the last commit, in order (the engine clears them once written). */
    List<ProducerRecord<String, byte[]>> pending() {
        return out;
    }

    void add(ProducerRecord<String, byte[]> r) {
        out.add(r);
    }

    /** Remembers that a unit of work creates this migration (its rollback removes it). */
    void creating(String id) {
        undo.putIfAbsent(id, Optional.empty());
    }

    /**
     * Runs one unit of work (one record, or one migration's tick) so that its failure touches nothing
     * else: the records it added and the migrations it changed are rolled back, the migration it is
     * about ({@code id}: a record's key, a ticked migration) and every one it touched end FAILED with
     * INTERNAL_ERROR, and the caller may dead-letter the record. An outage is not the work's fault and
     * ends the session instead.
     */
    void isolated(String id, Runnable work, Consumer<Throwable> onFailure) {
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

    /** Applies one step: its effects become records of the current transaction, with a new snapshot. */
    Tracked apply(Tracked before, Step step) {
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

    void deadLetter(ConsumerRecord<String, byte[]> r, String code, String message, Throwable cause) {
        LOG.warn("dead-lettering {}-{}@{}: {} {}", r.topic(), r.partition(), r.offset(), code, message);
        out.add(records.deadLetter(r, code, message, cause));
    }
}
