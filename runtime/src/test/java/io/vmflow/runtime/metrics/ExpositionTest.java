package io.vmflow.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpositionTest {

    @Test
    void everySampleCarriesTheCommonLabelsAndValuesAreEscaped() {
        Map<Map<String, String>, Long> byReason = new LinkedHashMap<>();
        byReason.put(Map.of("reason", "NO_\"SESSION\""), 3L);
        String text = new Exposition(Map.of("host", "host-a"))
                .counter("x_total", "things", 7)
                .labelled("y_total", "by reason", "counter", byReason)
                .text();
        assertThat(text).isEqualTo("""
                # HELP x_total things
                # TYPE x_total counter
                x_total{host="host-a"} 7
                # HELP y_total by reason
                # TYPE y_total counter
                y_total{host="host-a",reason="NO_\\"SESSION\\""} 3
                """);
    }

    @Test
    void histogramBucketsAreCumulativeWithInfSumAndCount() {
        Histogram h = new Histogram(0.1, 1, 10);
        h.observe(0.05);
        h.observe(0.5);
        h.observe(0.7);
        h.observe(50);
        String text = new Exposition(Map.of())
                .histogram("d_seconds", "durations", Map.of(Map.of("phase", "RUNNING"), h))
                .text();
        assertThat(text)
                .contains("d_seconds_bucket{le=\"0.1\",phase=\"RUNNING\"} 1\n")
                .contains("d_seconds_bucket{le=\"1\",phase=\"RUNNING\"} 3\n")
                .contains("d_seconds_bucket{le=\"10\",phase=\"RUNNING\"} 3\n")
                .contains("d_seconds_bucket{le=\"+Inf\",phase=\"RUNNING\"} 4\n")
                .contains("d_seconds_sum{phase=\"RUNNING\"} 51.25\n")
                .contains("d_seconds_count{phase=\"RUNNING\"} 4\n");
    }
}
