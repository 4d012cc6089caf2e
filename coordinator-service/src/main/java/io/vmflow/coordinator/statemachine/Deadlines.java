package io.vmflow.coordinator.statemachine;

import static io.vmflow.coordinator.statemachine.MigrationPhase.FAILED;
import static io.vmflow.coordinator.statemachine.MigrationPhase.SUCCEEDED;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.schemas.reasons.ReasonCode;
import java.time.Duration;
import java.time.Instant;

/**
 * Deadlines, one per phase (docs/phases.md has the table): no phase that waits for someone else lasts
 * for ever. Before the guest can have left, a missed deadline aborts (the source keeps the guest);
 * once it can only have arrived, the outcome the hosts last reported stands, and the reason says which
 * answer never came. No clock counts time the coordinator could not see ({@code observingSince}).
 */
final class Deadlines {

    private final Duration timeoutPerGiB;
    private final Duration minimumTimeout;
    private final Duration stallTimeout;
    private final Duration stepTimeout;
    private final Duration queueTimeout;

    Deadlines(
            Duration timeoutPerGiB,
            Duration minimumTimeout,
            Duration stallTimeout,
            Duration stepTimeout,
            Duration queueTimeout) {
        this.timeoutPerGiB = timeoutPerGiB;
        this.minimumTimeout = minimumTimeout;
        this.stallTimeout = stallTimeout;
        this.stepTimeout = stepTimeout;
        this.queueTimeout = queueTimeout;
    }

    Step tick(Step s, Input.Tick t) {
        Migration m = s.migration();
        Instant phaseClock = later(t.phaseSince(), t.observingSince());
        boolean over = t.phaseSince() != null && t.now().isAfter(phaseClock.plus(deadlineOf(m)));
        if (!over && m.phase() != MigrationPhase.RUNNING) {
            return s;
        }
        long step = stepTimeout.toSeconds();
        return switch (m.phase()) {
            case ACCEPTED, QUEUED ->
                Aborts.abort(
                        s,
                        ReasonCode.QUEUE_TIMEOUT.reason("no admission slot within " + queueTimeout.toSeconds() + " s"));
            case SCHEDULED, PREPARING_TARGET, TARGET_READY ->
                Aborts.abort(
                        s, ReasonCode.STEP_TIMEOUT.reason("no answer to " + waitingFor(m) + " within " + step + " s"));
            case RUNNING ->
                m.spec().getControlFlow() != ControlFlow.UNMANAGED_DIRECT
                        ? running(s, t)
                        : !over
                                ? s
                                : Aborts.abort(
                                        s,
                                        ReasonCode.COMPLETION_TIMEOUT.reason("the hypervisor did not finish"
                                                + " within " + deadlineOf(m).toSeconds() + " s (limit for "
                                                + (m.guestMemoryBytes() >> 20)
                                                + " MiB)"));
            case FINISHING ->
                s.move(
                        FAILED,
                        ReasonCode.STEP_TIMEOUT.reason("no answer to " + waitingFor(m)
                                + " within " + step + " s: the guest may run on " + m.destinationHost()
                                + "; check both hosts before acting"));
            case CONFIRMING ->
                s.move(
                        SUCCEEDED,
                        ReasonCode.STEP_TIMEOUT.reason("the guest runs on "
                                + (m.destinationHost() == null ? "the destination" : m.destinationHost())
                                + " (its agent said so); "
                                + m.sourceHost() + " did not confirm the clean-up within " + step
                                + " s: check it for a leftover"
                                + " copy"));
            case ABORTING ->
                s.move(
                        FAILED,
                        ReasonCode.STEP_TIMEOUT.reason(m.sourceHost() + " did not answer the"
                                + " abort within " + step + " s (asked because: "
                                + (m.abortReason() == null
                                        ? "?"
                                        : m.abortReason().getMessage()) + "); where the guest runs"
                                + " was not confirmed: check " + m.sourceHost() + " and " + m.destinationHost()));
            default -> s;
        };
    }

    /** How long a migration may stay in its current phase. */
    Duration deadlineOf(Migration m) {
        return switch (m.phase()) {
            case ACCEPTED, QUEUED -> queueTimeout;
            case RUNNING -> completionTimeout(m).multipliedBy(2); // managed flows time out earlier (running)
            default -> stepTimeout;
        };
    }

    /** The completion timeout: per GiB of guest memory (the request's or the default), at least the minimum. */
    Duration completionTimeout(Migration m) {
        Long perGiB = m.spec().getCompletionTimeoutSecondsPerGiB();
        Duration per = perGiB != null ? Duration.ofSeconds(perGiB) : timeoutPerGiB;
        Duration scaled = Duration.ofMillis((long) (per.toMillis() * (m.guestMemoryBytes() / (double) (1L << 30))));
        return scaled.compareTo(minimumTimeout) < 0 ? minimumTimeout : scaled;
    }

    /** A managed migration job: stalled, or over its completion timeout (then tuned once, or aborted). */
    private Step running(Step s, Input.Tick t) {
        Migration m = s.migration();
        if (!m.performing() || m.runningSince() == null) {
            return s;
        }
        Instant progressClock = later(m.lastProgressAt(), t.observingSince());
        if (progressClock != null && t.now().isAfter(progressClock.plus(stallTimeout))) {
            return Aborts.abort(s, ReasonCode.STALLED.reason("no progress for " + stallTimeout.toSeconds() + " s"));
        }
        Duration limit = completionTimeout(m);
        Instant runningClock = later(m.runningSince(), t.observingSince());
        if (!t.now().isAfter(runningClock.plus(limit))) {
            return s;
        }
        TimeoutPolicy policy = m.spec().getOnTimeout();
        if (policy != TimeoutPolicy.ABORT && !m.tuned()) {
            s.update(m.withTuned());
            return s.send(
                    m.sourceHost(),
                    CommandType.TUNE,
                    m.destinationHost(),
                    null,
                    null,
                    ReasonCode.COMPLETION_TIMEOUT.reason("not done after " + limit.toSeconds() + " s: " + policy));
        }
        if (policy == TimeoutPolicy.ABORT || t.now().isAfter(runningClock.plus(limit.multipliedBy(2)))) {
            return Aborts.abort(
                    s,
                    ReasonCode.COMPLETION_TIMEOUT.reason("not done after "
                            + Duration.between(m.runningSince(), t.now()).toSeconds() + " s (limit " + limit.toSeconds()
                            + " s for " + (m.guestMemoryBytes() >> 20) + " MiB)"));
        }
        return s;
    }

    /** The answer a phase waits for, in words, for the reason of a missed deadline. */
    private static String waitingFor(Migration m) {
        boolean direct = m.spec().getControlFlow() == ControlFlow.MANAGED_DIRECT;
        return switch (m.phase()) {
            case SCHEDULED ->
                direct
                        ? "BEGIN from " + m.sourceHost()
                        : m.spec().getControlFlow() == ControlFlow.UNMANAGED_DIRECT
                                ? "the unmanaged hand-off from " + m.sourceHost()
                                : "the peer-to-peer hand-off (" + m.sourceHost() + " starting it, "
                                        + (m.destinationHost() == null ? "the destination" : m.destinationHost())
                                        + " accepting its PREPARE)";
            case PREPARING_TARGET, TARGET_READY -> "PREPARE from " + m.destinationHost();
            case FINISHING ->
                direct ? "FINISH from " + m.destinationHost() : "the hand-off's end from " + m.sourceHost();
            default -> m.phase().name();
        };
    }

    /** The later of two moments, either of which may be unknown. */
    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }
}
