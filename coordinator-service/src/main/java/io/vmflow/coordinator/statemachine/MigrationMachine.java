package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.ABORTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.ABORTING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.ACCEPTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.CONFIRMING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FAILED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.FINISHING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.GUEST_LEFT_PAUSED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.PREPARING_TARGET;
import static io.vmflow.coordinator.statemachine.MigrationPhase.QUEUED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.REJECTED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.RUNNING;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SCHEDULED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SUCCEEDED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.TARGET_READY;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.Reason;
import io.vmflow.avro.ReportKind;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-migration state machine: a pure function from (migration, input) to (migration, effects).
 * No I/O: the runtime writes the events and sends the commands it returns. Transitions happen in one
 * place ({@link Step#move}) and an illegal one is refused, never applied.
 *
 * <pre>
 * managed direct:  SCHEDULED(BEGIN src) -> PREPARING_TARGET(PREPARE dst) -> TARGET_READY -> RUNNING(PERFORM src)
 *                  -> FINISHING(FINISH dst) -> CONFIRMING(CONFIRM src) -> SUCCEEDED
 * peer-to-peer:    SCHEDULED(HANDOFF src) ~ follows the agents' reports: PREPARING_TARGET, TARGET_READY, RUNNING,
 *                  FINISHING -> SUCCEEDED
 * unmanaged:       SCHEDULED(HANDOFF_UNMANAGED src) -> RUNNING (handed off) -> observed completed
 *                  -> CONFIRMING(CONFIRM src) -> SUCCEEDED
 * cancel/timeout:  in flight -> ABORTING(ABORT src) -> ABORTED (guest on the source); before flight -> ABORTED
 * </pre>
 */
public final class MigrationMachine {

    /** Reason codes the machine itself gives. */
    public static final String CANCELLED = "CANCELLED";
    public static final String COMPLETION_TIMEOUT = "COMPLETION_TIMEOUT";
    public static final String STALLED = "STALLED";
    public static final String INFERRED = "INFERRED";
    /** A step (BEGIN, PREPARE, FINISH, CONFIRM, ABORT, a hand-off's start) got no answer in time. */
    public static final String STEP_TIMEOUT = "STEP_TIMEOUT";
    /** A request waited for an admission slot longer than the queue timeout. */
    public static final String QUEUE_TIMEOUT = "QUEUE_TIMEOUT";
    /** The migration was cancelled or timed out, but the guest had already arrived. */
    public static final String ABORT_TOO_LATE = "ABORT_TOO_LATE";

    private final Duration timeoutPerGiB;
    private final Duration minimumTimeout;
    private final Duration stallTimeout;
    private final long leaseGraceMs;
    private final Duration stepTimeout;
    private final Duration queueTimeout;

    public MigrationMachine(Duration timeoutPerGiB, Duration minimumTimeout, Duration stallTimeout,
            Duration leaseGrace, Duration stepTimeout, Duration queueTimeout) {
        this.timeoutPerGiB = timeoutPerGiB;
        this.minimumTimeout = minimumTimeout;
        this.stallTimeout = stallTimeout;
        this.leaseGraceMs = leaseGrace.toMillis();
        this.stepTimeout = stepTimeout;
        this.queueTimeout = queueTimeout;
    }

    /**
     * KubeVirt's 150 s per GiB (at least a minute), its 150 s progress timeout, a 10 s lease grace,
     * 120 s for a step (twice the agents' 60 s wait for a peer), an hour in the admission queue.
     */
    public static MigrationMachine withDefaults() {
        return withDefaults(Duration.ofSeconds(10), DEFAULT_STEP_TIMEOUT, DEFAULT_QUEUE_TIMEOUT);
    }

    public static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofSeconds(120);
    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofHours(1);

    /** The default timeouts with a lease grace, step and queue timeout of one's own (the coordinator's). */
    public static MigrationMachine withDefaults(Duration leaseGrace, Duration stepTimeout, Duration queueTimeout) {
        return new MigrationMachine(Duration.ofSeconds(150), Duration.ofSeconds(60), Duration.ofSeconds(150),
                leaseGrace, stepTimeout, queueTimeout);
    }

    public long leaseGraceMs() {
        return leaseGraceMs;
    }

    /** The outcome of one input: the new migration and what to do. */
    public static final class Step {
        private Migration m;
        private final List<Effect> effects = new ArrayList<>();

        Step(Migration m) {
            this.m = m;
        }

        public Migration migration() {
            return m;
        }

        public List<Effect> effects() {
            return effects;
        }

        /** The one place a phase changes. */
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
    }

    /** A migration read from intake: its first event, REQUESTED (sequence 1). */
    public Step request(String id, String requestId, String principal, io.vmflow.avro.MigrationSpec spec) {
        Migration m = Migration.requested(id, requestId, principal, spec).withPhase(MigrationPhase.REQUESTED, 1);
        Step s = new Step(m);
        s.effects.add(new Effect.Transition(null, MigrationPhase.REQUESTED, 1, null, null, null, false));
        return s;
    }

    public Step on(Migration m, Input in) {
        Step s = new Step(m);
        if (m.phase().isFinal()) {
            return s.refuse(m.id() + " is " + m.phase() + " (final); ignoring " + in.getClass().getSimpleName());
        }
        if (in instanceof Input.Planned p) {
            return planned(s, p);
        } else if (in instanceof Input.Invalid i) {
            return s.move(REJECTED, i.reason(), null, null, false);
        } else if (in instanceof Input.Queued q) {
            return m.phase() == QUEUED ? s : s.move(QUEUED, new Reason("QUEUED", q.why()), null, null, false);
        } else if (in instanceof Input.Admitted a) {
            return admitted(s, a);
        } else if (in instanceof Input.Report r) {
            return report(s, r);
        } else if (in instanceof Input.Cancel c) {
            return cancel(s, c);
        } else if (in instanceof Input.Tick t) {
            return tick(s, t);
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
        Reason why = new Reason(ReasonCode.INTERNAL_ERROR.name(), "processing failed: " + what);
        if (m.phase().isFinal()) {
            return s.refuse(m.id() + " is " + m.phase() + " (final); internal error not recorded: " + what);
        }
        if (m.phase() == MigrationPhase.REQUESTED) {
            return s.move(REJECTED, why, null, null, false);
        }
        boolean mayMigrate = m.phase() == SCHEDULED || m.phase() == PREPARING_TARGET || m.phase() == TARGET_READY
                || m.phase() == RUNNING || m.phase() == MigrationPhase.SWITCHING_OVER || m.phase() == ABORTING;
        if (mayMigrate && m.sourceHost() != null) {
            why = new Reason(why.getCode(), why.getMessage() + "; " + m.sourceHost() + " was told to abort");
            s.send(m.sourceHost(), CommandType.ABORT, m.destinationHost(), null, null, why);
        }
        return s.move(FAILED, why, null, null, false);
    }

    private Step planned(Step s, Input.Planned p) {
        if (s.m.phase() != MigrationPhase.REQUESTED) {
            return s.refuse(s.m.id() + " already planned");
        }
        s.update(s.m.withPlan(p.spec(), p.migrationUri(), p.guestMemoryBytes()));
        return s.move(ACCEPTED, p.warning(), null, null, false); // a warning, if any, rides on ACCEPTED
    }

    private Step admitted(Step s, Input.Admitted a) {
        Migration m = s.m;
        if (m.phase() != ACCEPTED && m.phase() != QUEUED) {
            return s.refuse(m.id() + " cannot start from " + m.phase());
        }
        s.move(SCHEDULED);
        return switch (m.spec().getControlFlow()) {
            case MANAGED_DIRECT -> s.send(m.sourceHost(), CommandType.BEGIN, m.destinationHost(), null, null, null);
            case MANAGED_PEER_TO_PEER -> {
                s.update(s.m.performing(true, a.now()));
                yield s.send(m.sourceHost(), CommandType.HANDOFF_PEER_TO_PEER, m.destinationHost(), null,
                        m.migrationUri(), null);
            }
            case UNMANAGED_DIRECT -> s.send(m.sourceHost(), CommandType.HANDOFF_UNMANAGED, null, null,
                    m.migrationUri(), null);
        };
    }

    private Step report(Step s, Input.Report r) {
        if (r.kind() == ReportKind.COMMAND_ACCEPTED && r.commandType() != CommandType.PREPARE
                && r.commandType() != CommandType.FINISH) {
            return s; // nothing changes until the command ends
        }
        return switch (s.m.spec().getControlFlow()) {
            case MANAGED_DIRECT -> direct(s, r);
            case MANAGED_PEER_TO_PEER -> peerToPeer(s, r);
            case UNMANAGED_DIRECT -> unmanaged(s, r);
        };
    }

    // --- managed direct: the coordinator drives every phase -------------------------------------------

    private Step direct(Step s, Input.Report r) {
        Migration m = s.m;
        boolean ok = r.kind() == ReportKind.COMMAND_SUCCEEDED;
        boolean failed = r.kind() == ReportKind.COMMAND_FAILED || r.kind() == ReportKind.COMMAND_REFUSED;
        CommandType t = r.commandType();
        if (r.kind() == ReportKind.COMMAND_ACCEPTED || r.kind() == ReportKind.LEASE_LAPSED) {
            return s; // the lapse itself is followed by PERFORM's failure, which ends the migration
        }
        if (r.kind() == ReportKind.PROGRESS && t == CommandType.PERFORM) {
            return progress(s, r);
        }
        if (m.phase() == ABORTING) {
            return aborting(s, r);
        }
        if (t == CommandType.BEGIN && m.phase() == SCHEDULED) {
            if (failed) {
                return s.move(FAILED, r.reason(), null, r.hostId(), true);
            }
            s.update(m.withDomainXml(r.domainXml()));
            s.move(PREPARING_TARGET);
            return s.send(m.destinationHost(), CommandType.PREPARE, m.sourceHost(), r.domainXml(), m.migrationUri(),
                    null);
        }
        if (t == CommandType.PREPARE && m.phase() == PREPARING_TARGET) {
            if (failed) {
                return s.move(FAILED, r.reason(), null, r.hostId(), true);
            }
            String uri = m.migrationUri() != null ? m.migrationUri() : r.migrationUri();
            s.update(m.withMigrationUri(uri));
            s.move(TARGET_READY, null, null, r.hostId(), true);
            s.move(RUNNING);
            s.update(s.m.performing(true, r.at()));
            return s.send(m.sourceHost(), CommandType.PERFORM, m.destinationHost(), null, uri, null);
        }
        if (t == CommandType.PERFORM && m.phase() == RUNNING) {
            s.update(m.performing(false, r.at()));
            if (failed) {
                return performFailed(s, r);
            }
            s.move(FINISHING, null, r.figures(), r.hostId(), true);
            return s.send(m.destinationHost(), CommandType.FINISH, m.sourceHost(), null, null, null);
        }
        if (t == CommandType.FINISH && m.phase() == FINISHING) {
            if (failed) {
                return s.move(FAILED, r.reason(), null, r.hostId(), true);
            }
            s.move(CONFIRMING, null, null, r.hostId(), true);
            return s.send(m.sourceHost(), CommandType.CONFIRM, m.destinationHost(), null, null, null);
        }
        if (t == CommandType.CONFIRM && m.phase() == CONFIRMING) {
            return ok ? s.move(SUCCEEDED, null, null, r.hostId(), true)
                    : s.move(FAILED, r.reason(), null, r.hostId(), true);
        }
        return s.refuse("unexpected " + t + " " + r.kind() + " from " + r.hostId() + " while " + m.phase());
    }

    private Step performFailed(Step s, Input.Report r) {
        String code = r.reason() == null ? "" : r.reason().getCode();
        if (code.equals("GUEST_LEFT_PAUSED")) {
            return s.move(GUEST_LEFT_PAUSED, r.reason(), r.figures(), r.hostId(), true);
        }
        if (code.equals("LEASE_LAPSED")) {
            // the source gave up because this coordinator was gone too long: the guest runs on the source
            return s.move(ABORTING, r.reason(), null, r.hostId(), true).move(ABORTED, r.reason(), null, r.hostId(),
                    true);
        }
        return s.move(FAILED, r.reason(), r.figures(), r.hostId(), true);
    }

    private Step progress(Step s, Input.Report r) {
        Migration m = s.m;
        JobFigures f = r.figures();
        s.update(m.progressed(r.at(), f == null ? null : f.getDataRemainingBytes()));
        if (m.phase() == RUNNING) {
            return s.move(RUNNING, null, f, r.hostId(), true);
        }
        if (m.phase() == MigrationPhase.TARGET_READY || m.phase() == SCHEDULED || m.phase() == PREPARING_TARGET) {
            return inferUpTo(s, RUNNING, r).move(RUNNING, null, f, r.hostId(), true);
        }
        return s; // a late sample (FINISHING, ABORTING...): nothing to say
    }

    /**
     * Moves through the phases that must have happened but were not reported in time (the audit log
     * shows every phase, marked INFERRED when it was implied by a later report).
     */
    private Step inferUpTo(Step s, MigrationPhase target, Input.Report r) {
        List<MigrationPhase> path = s.m.spec().getControlFlow() == ControlFlow.MANAGED_PEER_TO_PEER
                && s.m.destinationHost() != null
                ? List.of(PREPARING_TARGET, TARGET_READY, RUNNING, FINISHING)
                : List.of(RUNNING, FINISHING);
        Reason inferred = new Reason(INFERRED, "not reported in time; implied by " + r.hostId() + "'s "
                + r.commandType() + " " + r.kind());
        for (MigrationPhase p : path) {
            if (p.ordinal() >= target.ordinal()) {
                break;
            }
            if (s.m.phase().ordinal() < p.ordinal() && s.m.phase().canMoveTo(p)) {
                s.move(p, inferred, null, r.hostId(), true);
            }
        }
        return s;
    }

    // --- peer-to-peer: the source agent drives; the coordinator follows --------------------------------

    private Step peerToPeer(Step s, Input.Report r) {
        Migration m = s.m;
        CommandType t = r.commandType();
        ReportKind k = r.kind();
        if (t == CommandType.ABORT) {
            return abortReport(s, r);
        }
        if (t == CommandType.PREPARE) {
            if (k == ReportKind.COMMAND_ACCEPTED && m.phase() == SCHEDULED) {
                return s.move(PREPARING_TARGET, null, null, r.hostId(), true);
            }
            if (k == ReportKind.COMMAND_SUCCEEDED && (m.phase() == SCHEDULED || m.phase() == PREPARING_TARGET)) {
                return inferUpTo(s, TARGET_READY, r).move(TARGET_READY, null, null, r.hostId(), true);
            }
            return s; // a failed PREPARE ends the handoff, which reports it
        }
        if (t == CommandType.FINISH) {
            if (k == ReportKind.COMMAND_ACCEPTED && m.phase() != MigrationPhase.ABORTING && m.phase() != FINISHING) {
                return inferUpTo(s, FINISHING, r).move(FINISHING, null, null, r.hostId(), true);
            }
            return s;
        }
        if (t == CommandType.HANDOFF_PEER_TO_PEER) {
            if (k == ReportKind.PROGRESS) {
                return m.phase() == ABORTING ? s : progress(s, r);
            }
            if (k == ReportKind.COMMAND_SUCCEEDED) {
                s.update(m.performing(false, r.at()));
                if (m.phase() == ABORTING) {
                    return s.move(SUCCEEDED, tooLate(m), r.figures(), r.hostId(), true);
                }
                if (m.phase() != FINISHING && m.phase() != RUNNING) {
                    inferUpTo(s, SUCCEEDED, r);
                }
                return s.move(SUCCEEDED, null, r.figures(), r.hostId(), true);
            }
            if (k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED) {
                s.update(m.performing(false, r.at()));
                if (m.phase() == ABORTING) {
                    return s.move(ABORTED, m.abortReason(), r.figures(), r.hostId(), true);
                }
                return performFailed(s, r);
            }
        }
        return s;
    }

    // --- unmanaged direct: handed off, then observed ---------------------------------------------------

    private Step unmanaged(Step s, Input.Report r) {
        Migration m = s.m;
        if (r.commandType() == CommandType.ABORT) {
            return abortReport(s, r);
        }
        if (r.commandType() == CommandType.HANDOFF_UNMANAGED && r.kind() == ReportKind.LIFECYCLE
                && m.phase() == ABORTING) {
            // the hypervisor's own verdict on a migration whose abort was asked
            String status = r.details() == null ? null : r.details().get("hypervisorMigrationStatus");
            if ("completed".equals(status)) {
                s.move(CONFIRMING, tooLate(m), r.figures(), r.hostId(), true);
                return s.send(m.sourceHost(), CommandType.CONFIRM, null, null, null, null);
            }
            return s.move(ABORTED, m.abortReason(), r.figures(), r.hostId(), true);
        }
        if (r.commandType() == CommandType.HANDOFF_UNMANAGED) {
            if (r.kind() == ReportKind.COMMAND_SUCCEEDED && m.phase() == SCHEDULED) {
                return s.move(RUNNING, new Reason("HANDED_OFF", "the hypervisor migrates the guest on its own"),
                        null, r.hostId(), true);
            }
            if ((r.kind() == ReportKind.COMMAND_FAILED || r.kind() == ReportKind.COMMAND_REFUSED)) {
                return s.move(FAILED, r.reason(), null, r.hostId(), true);
            }
            if (r.kind() == ReportKind.LIFECYCLE && m.phase() == RUNNING) {
                String status = r.details() == null ? null : r.details().get("hypervisorMigrationStatus");
                if ("completed".equals(status)) {
                    s.move(CONFIRMING, null, r.figures(), r.hostId(), true);
                    return s.send(m.sourceHost(), CommandType.CONFIRM, null, null, null, null);
                }
                return s.move(FAILED, new Reason("MIGRATION_FAILED", "the hypervisor reported " + status
                        + (r.details().containsKey("hypervisorError") ? ": " + r.details().get("hypervisorError") : "")),
                        r.figures(), r.hostId(), true);
            }
            return s;
        }
        if (r.commandType() == CommandType.CONFIRM && m.phase() == CONFIRMING) {
            return r.kind() == ReportKind.COMMAND_SUCCEEDED ? s.move(SUCCEEDED, null, null, r.hostId(), true)
                    : s.move(FAILED, r.reason(), null, r.hostId(), true);
        }
        return s;
    }

    // --- cancel, abort, timeouts ------------------------------------------------------------------------

    private Step cancel(Step s, Input.Cancel c) {
        Reason why = new Reason(CANCELLED, "cancelled by " + c.principal() + (c.why() == null ? "" : ": " + c.why()));
        return abort(s, why);
    }

    private Step abort(Step s, Reason why) {
        Migration m = s.m;
        if (m.phase() == ABORTING) {
            return s.refuse(m.id() + " is already aborting");
        }
        if (m.phase() == MigrationPhase.REQUESTED || m.phase() == ACCEPTED || m.phase() == QUEUED) {
            return s.move(ABORTED, new Reason(why.getCode(), why.getMessage() + "; nothing had started, the guest"
                    + " was not touched"), null, null, false);
        }
        if (m.phase() == FINISHING || m.phase() == CONFIRMING) {
            return s.refuse("too late to cancel " + m.id() + ": the guest already runs on "
                    + m.destinationHost() + " (" + m.phase() + ")");
        }
        s.update(m.aborting(why));
        s.move(ABORTING, why, null, null, false);
        return s.send(m.sourceHost(), CommandType.ABORT, m.destinationHost(), null, null, why);
    }

    private Step aborting(Step s, Input.Report r) {
        if (r.commandType() == CommandType.ABORT) {
            return abortReport(s, r);
        }
        if (r.commandType() == CommandType.PERFORM) {
            s.update(s.m.performing(false, r.at()));
            if (r.kind() == ReportKind.COMMAND_SUCCEEDED) {
                // too late: the migration completed before the abort landed
                return s.move(SUCCEEDED, tooLate(s.m), r.figures(), r.hostId(), true);
            }
            return s.move(ABORTED, s.m.abortReason(), r.figures(), r.hostId(), true);
        }
        if (!s.m.performing()) {
            // a BEGIN/PREPARE ending while aborting: nothing runs, the guest never left
            return s.move(ABORTED, s.m.abortReason(), null, r.hostId(), true);
        }
        return s;
    }

    private Step abortReport(Step s, Input.Report r) {
        if (r.kind() == ReportKind.COMMAND_ACCEPTED || s.m.phase() != ABORTING) {
            return s;
        }
        if (r.kind() != ReportKind.COMMAND_SUCCEEDED) {
            if (r.reason() != null && "GUEST_NOT_FOUND".equals(r.reason().getCode())) {
                return s; // the guest left the source: the migration's own result decides
            }
            return s.move(GUEST_LEFT_PAUSED, new Reason("ABORT_FAILED", "abort failed on " + r.hostId() + ": "
                    + (r.reason() == null ? "no reason" : r.reason().getMessage())), null, r.hostId(), true);
        }
        if (!s.m.performing()) {
            return s.move(ABORTED, s.m.abortReason(), null, r.hostId(), true);
        }
        return s; // the migration's own failure (MIGRATION_ABORTED) follows and ends it
    }

    /**
     * Deadlines, one per phase (docs/phases.md has the table): no phase that waits for someone else
     * lasts for ever. Before the guest can have left, a missed deadline aborts (the source keeps the
     * guest); after it can only have arrived, the outcome the hosts last reported stands, and the
     * reason says which answer never came.
     */
    private Step tick(Step s, Input.Tick t) {
        Migration m = s.m;
        Instant phaseClock = later(t.phaseSince(), t.observingSince());
        boolean over = t.phaseSince() != null && t.now().isAfter(phaseClock.plus(deadlineOf(m)));
        return switch (m.phase()) {
            case ACCEPTED, QUEUED -> over ? abort(s, new Reason(QUEUE_TIMEOUT, "no admission slot within "
                    + queueTimeout.toSeconds() + " s")) : s;
            case SCHEDULED, PREPARING_TARGET, TARGET_READY -> over ? abort(s, new Reason(STEP_TIMEOUT, "no answer to "
                    + waitingFor(m) + " within " + stepTimeout.toSeconds() + " s")) : s;
            case RUNNING, SWITCHING_OVER -> m.spec().getControlFlow() == ControlFlow.UNMANAGED_DIRECT
                    ? (over ? abort(s, new Reason(COMPLETION_TIMEOUT, "the hypervisor did not finish within "
                            + deadlineOf(m).toSeconds() + " s (limit for " + (m.guestMemoryBytes() >> 20) + " MiB)"))
                            : s)
                    : running(s, t);
            case FINISHING -> over ? s.move(FAILED, new Reason(STEP_TIMEOUT, "no answer to " + waitingFor(m)
                    + " within " + stepTimeout.toSeconds() + " s: the guest may run on " + m.destinationHost()
                    + "; check both hosts before acting"), null, null, false) : s;
            case CONFIRMING -> over ? s.move(SUCCEEDED, new Reason(STEP_TIMEOUT, "the guest runs on "
                    + (m.destinationHost() == null ? "the destination" : m.destinationHost()) + " (its agent said so);"
                    + " " + m.sourceHost() + " did not confirm the clean-up within " + stepTimeout.toSeconds()
                    + " s: check it for a leftover copy"), null, null, false) : s;
            case ABORTING -> over ? s.move(FAILED, new Reason(STEP_TIMEOUT, m.sourceHost() + " did not answer the"
                    + " abort within " + stepTimeout.toSeconds() + " s (asked because: "
                    + (m.abortReason() == null ? "?" : m.abortReason().getMessage()) + "); where the guest runs"
                    + " was not confirmed: check " + m.sourceHost() + " and " + m.destinationHost()), null, null,
                    false) : s;
            default -> s;
        };
    }

    /** How long a migration may stay in its current phase. */
    public Duration deadlineOf(Migration m) {
        return switch (m.phase()) {
            case ACCEPTED, QUEUED -> queueTimeout;
            case RUNNING, SWITCHING_OVER -> completionTimeout(m).multipliedBy(2); // managed flows time out earlier
            default -> stepTimeout;
        };
    }

    /** The answer a phase waits for, in words, for the reason of a missed deadline. */
    private static String waitingFor(Migration m) {
        boolean direct = m.spec().getControlFlow() == ControlFlow.MANAGED_DIRECT;
        return switch (m.phase()) {
            case SCHEDULED -> direct ? "BEGIN from " + m.sourceHost()
                    : m.spec().getControlFlow() == ControlFlow.UNMANAGED_DIRECT
                            ? "the unmanaged hand-off from " + m.sourceHost()
                            : "the peer-to-peer hand-off (" + m.sourceHost() + " starting it, "
                                    + (m.destinationHost() == null ? "the destination" : m.destinationHost())
                                    + " accepting its PREPARE)";
            case PREPARING_TARGET, TARGET_READY -> "PREPARE from " + m.destinationHost();
            case FINISHING -> direct ? "FINISH from " + m.destinationHost() : "the hand-off's end from " + m.sourceHost();
            default -> m.phase().name();
        };
    }

    private static Reason tooLate(Migration m) {
        return new Reason(ABORT_TOO_LATE, "the guest arrived before the abort took effect"
                + (m.abortReason() == null ? "" : " (asked because: " + m.abortReason().getMessage() + ")"));
    }

    private Step running(Step s, Input.Tick t) {
        Migration m = s.m;
        if (!m.performing() || m.runningSince() == null) {
            return s;
        }
        Instant progressClock = later(m.lastProgressAt(), t.observingSince());
        if (progressClock != null && t.now().isAfter(progressClock.plus(stallTimeout))) {
            return abort(s, new Reason(STALLED, "no progress for " + stallTimeout.toSeconds() + " s"));
        }
        Duration limit = completionTimeout(m);
        Instant runningClock = later(m.runningSince(), t.observingSince());
        if (t.now().isAfter(runningClock.plus(limit))) {
            TimeoutPolicy policy = m.spec().getOnTimeout();
            if (policy != TimeoutPolicy.ABORT && !m.tuned()) {
                s.update(m.withTuned());
                return s.send(m.sourceHost(), CommandType.TUNE, m.destinationHost(), null, null,
                        new Reason(COMPLETION_TIMEOUT, "not done after " + limit.toSeconds() + " s: " + policy));
            }
            if (policy == TimeoutPolicy.ABORT || t.now().isAfter(runningClock.plus(limit.multipliedBy(2)))) {
                return abort(s, new Reason(COMPLETION_TIMEOUT, "not done after "
                        + Duration.between(m.runningSince(), t.now()).toSeconds() + " s (limit " + limit.toSeconds()
                        + " s for " + (m.guestMemoryBytes() >> 20) + " MiB)"));
            }
        }
        return s;
    }

    /** The later of two moments, either of which may be unknown. */
    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }

    /** The completion timeout: per GiB of guest memory (the request's or the default), at least the minimum. */
    public Duration completionTimeout(Migration m) {
        Long perGiB = m.spec().getCompletionTimeoutSecondsPerGiB();
        Duration per = perGiB != null ? Duration.ofSeconds(perGiB) : timeoutPerGiB;
        Duration scaled = Duration.ofMillis((long) (per.toMillis() * (m.guestMemoryBytes() / (double) (1L << 30))));
        return scaled.compareTo(minimumTimeout) < 0 ? minimumTimeout : scaled;
    }


}
