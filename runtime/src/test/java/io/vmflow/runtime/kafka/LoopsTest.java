package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What /ready says about a service's loops, and what happens when one dies. */
class LoopsTest {

    /** A clock the test moves by hand. */
    static final class Hand extends Clock {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final Hand clock = new Hand();
    final List<String> deaths = new ArrayList<>();
    final Loops loops =
            new Loops("test", clock, Duration.ofSeconds(90), (loop, cause) -> deaths.add(loop + ": " + cause));

    @Test
    void loopsThatBeatAreReadyAndSayWhatTheyWaitFor() {
        Loops.Loop commands = loops.register("commands");
        Loops.Loop leases = loops.register("leases");
        leases.note("waiting for the schema registry");
        clock.now = clock.now.plusSeconds(60);
        commands.beat();
        leases.beat();
        assertThat(loops.check().ok()).isTrue();
        assertThat(loops.check().text())
                .startsWith("READY\n")
                .contains("commands: ok")
                .contains("leases: ok (waiting for the schema registry)");
    }

    @Test
    void aLoopThatStopsPollingIsStuckAndTheServiceNotReady() {
        Loops.Loop commands = loops.register("commands");
        loops.register("leases");
        clock.now = clock.now.plusSeconds(91);
        commands.beat();
        assertThat(loops.check().ok()).isFalse();
        assertThat(loops.check().text()).startsWith("NOT READY").contains("leases: STUCK: no poll for 91 s");
    }

    @Test
    void aLoopThatDiesIsReportedAndEndsTheProcess() {
        Loops.Loop commands = loops.register("commands");
        commands.died(new IllegalStateException("boom"));
        assertThat(deaths).containsExactly("commands: java.lang.IllegalStateException: boom");
        assertThat(loops.check().ok()).isFalse();
        assertThat(loops.check().text()).contains("commands: DIED: java.lang.IllegalStateException: boom");
    }

    @Test
    void aLoopToldToStopIsNoLongerCounted() {
        Loops.Loop commands = loops.register("commands");
        commands.stopped();
        clock.now = clock.now.plusSeconds(600);
        assertThat(loops.check().ok()).isTrue();
        assertThat(loops.check().and(false, "engine: not serving").ok()).isFalse();
    }

    @Test
    void aPauseBeatsAndEndsEarlyWhenToldToStop() {
        Loops.Loop l = new Loops("real", Clock.systemUTC(), Duration.ofSeconds(90), (a, b) -> {}).register("l");
        assertThat(l.pause(50, () -> true)).isTrue();
        assertThat(l.pause(10_000, () -> false)).isFalse();
    }
}
