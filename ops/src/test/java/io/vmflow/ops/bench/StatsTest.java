package io.vmflow.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's percentiles: nearest rank, whatever the order the figures came in. */
class StatsTest {

    @Test
    void percentilesAreNearestRanks() {
        List<Double> ms = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            ms.add((double) i);
        }
        Collections.shuffle(ms, new java.util.Random(3));
        Stats s = Stats.of(ms);
        assertThat(s.n()).isEqualTo(200);
        assertThat(s.p50()).isEqualTo(100.0);
        assertThat(s.p99()).isEqualTo(198.0);
        assertThat(s.max()).isEqualTo(200.0);
    }

    @Test
    void noFiguresSayNothing() {
        assertThat(Stats.of(List.of()).toString()).contains("NaN", "(0)");
        assertThat(Stats.of(List.of(7.0)).p99()).isEqualTo(7.0);
    }
}
