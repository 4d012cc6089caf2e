package io.vmflow.coordinator.statemachine;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.Reason;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of one input to the state machine: the migration as it now is, and what the shell must
 * do (events to write, commands to send, refusals to log). {@link #move} is the one place a phase
 * changes; an illegal move is refused and reported, never applied.
 */
public final class Step {
    private Migration m;
    private final List<Effect> effects = new ArrayList<>();

    Step(Migration m) {
        this.m = m;
    }

    /** The migration as this step has made it so far (what the rules look at, and the result). */
    public Migration migration() {
        return m;
    }

    public List<Effect> effects() {
        return effects;
    }

    Step move(MigrationPhase to, Reason reason, JobFigures figures, String hostId, boolean byAgent) {
        MigrationPhase from = m.phase();
        if (!from.canMoveTo(to)) {
            effects.add(new Effect.Refused("illegal transition " + from + " -> " + to + " for " + m.id()));
            return this;
        }
        m = m.withPhase(to, m.sequence() + 1);
        effects.add(new Effect.Transition(from, to, m.sequence(), reason, figures, hostId, byAgent));
        return this;
    }

    Step move(MigrationPhase to) {
        return move(to, null, null, null, false);
    }

    /** A move the coordinator decides (no host reported it). */
    Step move(MigrationPhase to, Reason reason) {
        return move(to, reason, null, null, false);
    }

    /** A move a host's report causes. */
    Step moveByAgent(MigrationPhase to, Reason reason, JobFigures figures, Input.Report r) {
        return move(to, reason, figures, r.hostId(), true);
    }

    Step send(String host, CommandType type, String peer, String domainXml, String uri, Reason reason) {
        effects.add(new Effect.Command(host, type, peer, domainXml, uri, reason));
        return this;
    }

    Step refuse(String why) {
        effects.add(new Effect.Refused(why));
        return this;
    }

    Step update(Migration next) {
        m = next;
        return this;
    }

    /** The very first event of a migration, which no phase precedes. */
    Step requested() {
        effects.add(new Effect.Transition(null, MigrationPhase.REQUESTED, 1, null, null, null, false));
        return this;
    }
}
