package io.vmflow.runtime.management;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/** The Kafka clients' metrics a service reports: the client's own, not one series per topic or partition. */
class ServiceMetricsTest {

    private static Metric valued(MetricName name, double v) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return name;
            }

            @Override
            public Object metricValue() {
                return v;
            }
        };
    }

    @Test
    void metricsPerTopicOrPartitionAreLeftOut() {
        MetricName lagMax =
                new MetricName("records-lag-max", "consumer-fetch-manager-metrics", "", Map.of("client-id", "c"));
        MetricName node = new MetricName(
                "request-rate", "consumer-node-metrics", "", Map.of("client-id", "c", "node-id", "node-1"));
        MetricName perTopic = new MetricName(
                "bytes-consumed-rate", "consumer-fetch-manager-metrics", "", Map.of("client-id", "c", "topic", "t"));
        MetricName perPartition = new MetricName(
                "records-lag",
                "consumer-fetch-manager-metrics",
                "",
                Map.of("client-id", "c", "topic", "t", "partition", "3"));

        Map<MetricName, Metric> kept = ServiceMetrics.clientLevel(Map.of(
                lagMax,
                valued(lagMax, 1),
                node,
                valued(node, 2),
                perTopic,
                valued(perTopic, 3),
                perPartition,
                valued(perPartition, 4)));

        assertThat(kept).containsOnlyKeys(lagMax, node);
    }

    @Test
    void aBoundConsumerReportsItsOwnMetricsUnderMicrometersNames() throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"); // never asked: the consumer does not poll
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "metrics-test");
        try (ServiceMetrics metrics = new ServiceMetrics(Map.of("service", "test"));
                KafkaConsumer<byte[], byte[]> consumer =
                        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                AutoCloseable binding = metrics.bind(consumer)) {
            assertThat(metrics.scrape())
                    .contains("kafka_consumer_fetch_manager_records_lag_max{client_id=\"metrics-test\"")
                    .doesNotContain("topic=\"")
                    .doesNotContain("partition=\"");
        }
    }
}
