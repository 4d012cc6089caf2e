package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.ACCEPTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FAILED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.QUEUED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.REJECTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.REQUESTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SCHEDULED;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;

/**
 * The per-migration state machine: a pure function from (migration, input) to a {@link Step} (the
 * migration as it now is, and the effects). No I/O: the shell writes the events and sends the commands
 * a step holds. This class takes a migration from request to admission and hands each report to its
 * control flow ({@link ManagedDirect}, {@link PeerToPeer}, {@link UnmanagedDirect}); what every flow
 * shares is in {@link Aborts} (cancel, abort) and {@link Deadlines} (timeouts).
 *
 * <pre>
 * REQUESTED --Planned--> ACCEPTED [--Queued--> QUEUED] --Admitted--> SCHEDULED, then the flow's own phases
 *           --Invalid--> REJECTED
 * </pre>
 */
public final class MigrationMachine {

    /** 120 s for a step: twice the agents' 60 s wait for a peer. */
    public static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofSeconds(120);

    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofHours(1);

    private final Deadlines deadlines;
    private final long leaseGraceMs;

    public MigrationMachine(
            Duration timeoutPerGiB,
            Duration minimumTimeout,
            Duration stallTimeout,
            Duration leaseGrace,
            Duration stepTimeout,
            Duration queueTimeout) {
        this.deadlines = new Deadlines(timeoutPerGiB, minimumTimeout, stallTimeout, stepTimeout, queueTimeout);
        this.leaseGraceMs = leaseGrace.toMillis();
    }

    /**
     * KubeVirt's 150 s per GiB (at least a minute), its 150 s progress timeout, a 10 s lease grace,
     * the default step and queue timeouts.
     */
    public static MigrationMachine withDefaults() {
        return withDefaults(Duration.ofSeconds(10), DEFAULT_STEP_TIMEOUT, DEFAULT_QUEUE_TIMEOUT);
    }

    /** The default timeouts with a lease grace, step and queue timeout of one's own (the coordinator's). */
    public static MigrationMachine withDefaults(Duration leaseGrace, Duration stepTimeout, Duration queueTimeout) {
        return new MigrationMachine(
                Duration.ofSeconds(150),
                Duration.ofSeconds(60),
                Duration.ofSeconds(150),
                leaseGrace,
                stepTimeout,
                queueTimeout);
    }

    public long leaseGraceMs() {
        return leaseGraceMs;
    }

    /** How long a migration may stay in its current phase. */
    public Duration deadlineOf(Migration m) {
        return deadlines.deadlineOf(m);
    }

    /** The completion timeout: per GiB of guest memory (the request's or the default), at least the minimum. */
    public Duration completionTimeout(Migration m) {
        return deadlines.completionTimeout(m);
    }

    /** A migration read from intake: its first event, REQUESTED (sequence 1). */
    public Step request(String id, String requestId, String principal, MigrationSpec spec) {
        return new Step(Migration.requested(id, requestId, principal, spec).withPhase(REQUESTED, 1)).requested();
    }

    public Step on(Migration m, Input in) {
        Step s = new Step(m);
        if (m.phase().isFinal()) {
            return s.refuse(m.id() + " is " + m.phase() + " (final); ignoring "
                    + in.getClass().getSimpleName());
        }
        // Java 17: no pattern matching in switch yet, so one instanceof per kind of input
        if (in instanceof Input.Planned p) {
            return planned(s, p);
        } else if (in instanceof Input.Invalid i) {
            return s.move(REJECTED, i.reason());
        } else if (in instanceof Input.Queued q) {
            return m.phase() == QUEUED ? s : s.move(QUEUED, ReasonCode.QUEUED.reason(q.why()));
        } else if (in instanceof Input.Admitted a) {
            return admitted(s, a);
        } else if (in instanceof Input.Report r) {
            return report(s, r);
        } else if (in instanceof Input.Cancel c) {
            return Aborts.cancel(s, c);
        } else if (in instanceof Input.Tick t) {
            return deadlines.tick(s, t);
        }
        throw new IllegalArgumentException("unknown input " + in);
    }

    /**
     * A migration whose processing threw (a bug, or an input nobody foresaw): it ends FAILED with
     * INTERNAL_ERROR holding what was thrown (REJECTED while still a request), and a source that may be
     * migrating the guest is told to abort, so that the guest stays where it runs.
     */
    public Step internalError(Migration m, String what) {
        Step s = new Step(m);
        Reason why = ReasonCode.INTERNAL_ERROR.reason("processing failed: " + what);
        return switch (m.phase()) {
            case REJECTED, SUCCEEDED, FAILED, ABORTED, GUEST_LEFT_PAUSED ->
                s.refuse(m.id() + " is " + m.phase() + " (final); internal error not recorded: " + what);
            case REQUESTED -> s.move(REJECTED, why);
            case SCHEDULED, PREPARING_TARGET, TARGET_READY, RUNNING, ABORTING -> {
                if (m.sourceHost() != null) {
                    why = new Reason(why.getCode(), why.getMessage() + "; " + m.sourceHost() + " was told to abort");
                    s.send(m.sourceHost(), CommandType.ABORT, m.destinationHost(), null, null, why);
                }
                yield s.move(FAILED, why);
            }
            case ACCEPTED, QUEUED, FINISHING, CONFIRMING -> s.move(FAILED, why);
        };
    }

    private static Step planned(Step s, Input.Planned p) {
        if (s.migration().phase() != REQUESTED) {
            return s.refuse(s.migration().id() + " already planned");
        }
        s.update(s.migration().withPlan(p.spec(), p.migrationUri(), p.guestMemoryBytes()));
        return s.move(ACCEPTED, p.warning()); // a warning, if any, rides on ACCEPTED
    }

    private static Step admitted(Step s, Input.Admitted a) {
        Migration m = s.migration();
        if (m.phase() != ACCEPTED && m.phase() != QUEUED) {
            return s.refuse(m.id() + " cannot start from " + m.phase());
        }
        s.move(SCHEDULED);
        return switch (m.spec().getControlFlow()) {
            case MANAGED_DIRECT -> ManagedDirect.start(s);
            case MANAGED_PEER_TO_PEER -> PeerToPeer.start(s, a);
            case UNMANAGED_DIRECT -> UnmanagedDirect.start(s);
        };
    }

    private static Step report(Step s, Input.Report r) {
        boolean destinationStep = r.commandType() == CommandType.PREPARE || r.commandType() == CommandType.FINISH;
        if (r.kind() == ReportKind.COMMAND_ACCEPTED && !destinationStep) {
            return s; // nothing changes until the command ends (a destination's step, accepted, moves peer-to-peer)
        }
        return switch (s.migration().spec().getControlFlow()) {
            case MANAGED_DIRECT -> ManagedDirect.on(s, r);
            case MANAGED_PEER_TO_PEER -> PeerToPeer.on(s, r);
            case UNMANAGED_DIRECT -> UnmanagedDirect.on(s, r);
        };
    }
}
