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
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * One service's metrics: a Micrometer Prometheus registry whose every meter carries the service's tags
 * (its name, and its host or instance), the JVM's and the process's own meters, and the Kafka clients'
 * metrics through Micrometer's Kafka binder (bind each long-lived client; a binding ends with its
 * client, or with the service), the client's own and its connections', not those per topic or per
 * partition (see {@link #clientLevel}). Vert.x reports into the same registry where a service runs Vert.x. {@link #scrape} is the
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

    /** Reports a Kafka consumer's metrics (its largest fetch lag among them) until the binding is closed. */
    public AutoCloseable bind(Consumer<?, ?> consumer) {
        return bound(new KafkaClientMetrics(clientLevel(Consumer.class, consumer)));
    }

    /** Reports a Kafka producer's metrics until the binding is closed. */
    public AutoCloseable bind(Producer<?, ?> producer) {
        return bound(new KafkaClientMetrics(clientLevel(Producer.class, producer)));
    }

    /**
     * The client as Micrometer's binder sees it: its metrics without those tagged with a topic or a
     * partition. A coordinator reads thousands of partitions at fleet scale (three report and one state
     * partition per host) and writes to thousands of topics, each with a handful of metrics, and the
     * binder's refresh compares every new meter with every other of its name: at 1,000 hosts that was
     * 40% of the coordinator's CPU, and a series per partition is more than a dashboard wants. The binder
     * asks the client for nothing but its metrics; every other call goes to the client.
     */
    @SuppressWarnings("unchecked")
    static <C> C clientLevel(Class<C> api, C client) {
        return (C) Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (proxy, method, args) -> {
            Object answer;
            try {
                answer = method.invoke(client, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            return method.getName().equals("metrics") && method.getParameterCount() == 0
                    ? clientLevel((Map<MetricName, ? extends Metric>) answer)
                    : answer;
        });
    }

    private AutoCloseable bound(KafkaClientMetrics m) {
        m.bindTo(registry);
        clients.add(m);
        return () -> {
            clients.remove(m);
            m.close();
        };
    }

    /** The metrics that are tagged with neither a topic nor a partition. */
    static Map<MetricName, Metric> clientLevel(Map<MetricName, ? extends Metric> all) {
        return all.entrySet().stream()
                .filter(e -> !e.getKey().tags().containsKey("topic")
                        && !e.getKey().tags().containsKey("partition"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
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
