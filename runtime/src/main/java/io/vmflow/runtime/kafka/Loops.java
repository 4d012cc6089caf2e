package io.vmflow.runtime.kafka;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The liveness of a service's consuming loops. Each loop {@link Loop#beat() beats} every time it polls;
 * {@link #check()} says which loop died or stopped beating, for /ready and /health. A loop that dies
 * anyway ends the process (exit code {@link #EXIT_LOOP_DIED}) with one clear log line, so that its
 * supervisor restarts it: a JVM that answers 200 while it consumes nothing is worse than one that is
 * gone.
 */
public final class Loops {

    private static final Logger LOG = LoggerFactory.getLogger(Loops.class);
    /** The exit code of a process one of whose loops died. */
    public static final int EXIT_LOOP_DIED = 70;
    /** A loop that has not polled for this long counts as stuck. */
    public static final Duration DEFAULT_STUCK_AFTER = Duration.ofSeconds(90);

    /** What happens when a loop dies: by default the process exits; tests may record it instead. */
    @FunctionalInterface
    public interface OnDeath {
        void died(String loop, Throwable cause);
    }

    private final String service;
    private final Clock clock;
    private final Duration stuckAfter;
    private final OnDeath onDeath;
    private final Map<String, Loop> loops = new ConcurrentHashMap<>();
    private final AtomicBoolean exiting = new AtomicBoolean();

    public Loops(String service, Clock clock, Duration stuckAfter, OnDeath onDeath) {
        this.service = service;
        this.clock = clock;
        this.stuckAfter = stuckAfter;
        this.onDeath = onDeath;
    }

    /** A service's loops whose death ends the process. */
    public static Loops exitingOnDeath(String service) {
        Loops[] self = new Loops[1];
        self[0] = new Loops(service, Clock.systemUTC(), DEFAULT_STUCK_AFTER, (loop, cause) -> self[0].exit());
        return self[0];
    }

    /** Loops whose death is only logged: for tools and tests, never for a service. */
    public static Loops unsupervised(String name) {
        return new Loops(name, Clock.systemUTC(), DEFAULT_STUCK_AFTER, (loop, cause) -> {});
    }

    /** Registers a loop; it counts as alive from now. */
    public Loop register(String name) {
        Loop l = new Loop(name);
        loops.put(name, l);
        return l;
    }

    /** Whether every loop beats; with one line per loop saying how it is. */
    public Check check() {
        Instant now = clock.instant();
        List<String> lines = new ArrayList<>();
        boolean ok = true;
        for (Loop l : loops.values().stream()
                .sorted((a, b) -> a.name.compareTo(b.name))
                .toList()) {
            if (l.stopped) {
                continue;
            }
            Duration since = Duration.between(l.lastBeat, now);
            if (l.death != null) {
                ok = false;
                lines.add(l.name + ": DIED: " + l.death);
            } else if (since.compareTo(stuckAfter) > 0) {
                ok = false;
                lines.add(l.name + ": STUCK: no poll for " + since.toSeconds() + " s"
                        + (l.note == null ? "" : " (" + l.note + ")"));
            } else {
                lines.add(l.name + ": ok" + (l.note == null ? "" : " (" + l.note + ")"));
            }
        }
        return new Check(ok, lines);
    }

    private void exit() {
        if (exiting.compareAndSet(false, true)) {
            // from a thread of its own: shutdown hooks join the loops, one of which is the caller
            Thread t = new Thread(() -> System.exit(EXIT_LOOP_DIED), service + "-exit");
            t.start();
        }
    }

    /** The answer for /ready: ok, and what each loop is doing. */
    public record Check(boolean ok, List<String> lines) {
        /** This check with one more condition that must hold. */
        public Check and(boolean holds, String line) {
            List<String> more = new ArrayList<>(lines);
            more.add(line);
            return new Check(ok && holds, more);
        }

        public String text() {
            return (ok ? "READY" : "NOT READY") + "\n" + String.join("\n", lines) + (lines.isEmpty() ? "" : "\n");
        }
    }

    /** One consuming loop. */
    public final class Loop {
        private final String name;
        private volatile Instant lastBeat;
        private volatile Throwable death;
        private volatile String note;
        private volatile boolean stopped;

        private Loop(String name) {
            this.name = name;
            this.lastBeat = clock.instant();
        }

        /** The loop polled (or is waiting on purpose, e.g. backing off from an outage). */
        public void beat() {
            lastBeat = clock.instant();
        }

        /** What the loop is waiting for, shown by /ready while it lasts (null: nothing). */
        public void note(String what) {
            note = what;
        }

        /**
         * Waits on purpose (backing off from an outage), beating all the while: waiting is not being
         * stuck. Returns false when told to stop meanwhile, or interrupted (the flag is kept).
         */
        public boolean pause(long ms, java.util.function.BooleanSupplier keepGoing) {
            long until = System.nanoTime() + ms * 1_000_000;
            while (keepGoing.getAsBoolean() && System.nanoTime() < until) {
                beat();
                try {
                    Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return keepGoing.getAsBoolean();
        }

        /** The loop ended because it was told to. */
        public void stopped() {
            stopped = true;
        }

        /** The loop ended on its own: the service is no longer whole. */
        public void died(Throwable cause) {
            death = cause;
            LOG.error(
                    "{}: loop {} died; the process exits ({}) so that its supervisor restarts it",
                    service,
                    name,
                    EXIT_LOOP_DIED,
                    cause);
            onDeath.died(name, cause);
        }
    }
}
