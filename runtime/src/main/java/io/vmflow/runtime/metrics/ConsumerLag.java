package io.vmflow.runtime.metrics;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Kafka consumer lag of every consumer in this JVM, as the clients themselves publish it over JMX
 * ({@code kafka.consumer:type=consumer-fetch-manager-metrics,client-id=..,topic=..,partition=..},
 * attribute {@code records-lag}): read without touching the consumers, which are not thread-safe.
 */
public final class ConsumerLag {

    private static final ObjectName PATTERN;

    static {
        try {
            PATTERN = new ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,*");
        } catch (javax.management.MalformedObjectNameException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ConsumerLag() {}

    /** Lag in records summed per client id and topic. */
    public static Map<Map<String, String>, Double> byClientAndTopic() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Map<Map<String, String>, Double> lag =
                new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (ObjectName n : server.queryNames(PATTERN, null)) {
            if (n.getKeyProperty("partition") == null) {
                continue;
            }
            try {
                Object v = server.getAttribute(n, "records-lag");
                if (v instanceof Number x && !Double.isNaN(x.doubleValue())) {
                    lag.merge(
                            Map.of("client", n.getKeyProperty("client-id"), "topic", n.getKeyProperty("topic")),
                            x.doubleValue(),
                            Double::sum);
                }
            } catch (javax.management.JMException e) {
                // the consumer closed between the query and the read: its lag is gone with it
            }
        }
        return lag;
    }

    /** Appends the {@code vmflow_kafka_consumer_lag_records} family. */
    public static Exposition appendTo(Exposition e) {
        return e.labelled(
                "vmflow_kafka_consumer_lag_records",
                "records behind the end of the log, per consumer client and topic",
                "gauge",
                byClientAndTopic());
    }
}
