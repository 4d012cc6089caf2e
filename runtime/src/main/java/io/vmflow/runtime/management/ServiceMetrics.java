package io.vmflow.runtime.management;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * One service's metrics: a Micrometer Prometheus registry whose every meter carries the service's tags
 * (its name, and its host or instance), the JVM's and the process's own meters, and the Kafka clients'
 * metrics through Micrometer's Kafka binder (bind each long-lived client; a binding ends with its
 * client, or with the service). Vert.x reports into the same registry where a service runs Vert.x. {@link #scrape} is the
 * text of {@code /metrics}.
 */
public final class ServiceMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final List<KafkaClientMetrics> clients = new CopyOnWriteArrayList<>();

    /** {@code tags}: e.g. {@code service=agent, host=hostA}. */
    public ServiceMetrics(Map<String, String> tags) {
        List<Tag> common = new ArrayList<>();
        tags.forEach((k, v) -> common.add(Tag.of(k, v)));
        registry.config().commonTags(common);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Reports a Kafka consumer's metrics (fetch lag per partition among them) until the binding is closed. */
    public AutoCloseable bind(Consumer<?, ?> consumer) {
        return bound(new KafkaClientMetrics(consumer));
    }

    /** Reports a Kafka producer's metrics until the binding is closed. */
    public AutoCloseable bind(Producer<?, ?> producer) {
        return bound(new KafkaClientMetrics(producer));
    }

    private AutoCloseable bound(KafkaClientMetrics m) {
        m.bindTo(registry);
        clients.add(m);
        return () -> {
            clients.remove(m);
            m.close();
        };
    }

    /** Prometheus' text exposition format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        clients.forEach(KafkaClientMetrics::close);
        gc.close();
        registry.close();
    }
}
