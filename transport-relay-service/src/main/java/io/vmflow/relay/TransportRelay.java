package io.vmflow.relay;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vmflow.avro.TunnelSession;
import io.vmflow.relay.config.RelayConfig;
import io.vmflow.relay.control.SessionFeed;
import io.vmflow.relay.control.TunnelReporter;
import io.vmflow.relay.net.Relay;
import io.vmflow.relay.net.Tls;
import io.vmflow.relay.session.SessionBook;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.DecodingConsumer;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.management.ManagementServer;
import io.vmflow.runtime.management.ServiceMetrics;
import io.vmflow.runtime.security.CredentialSeal;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One host's transport relay as a service: the public TLS port, the sessions the control plane
 * writes on Kafka, tunnel reports back to Kafka, and a management port with /health, /ready and
 * /metrics. Stopping is graceful: new sessions and streams are refused at once, running streams get
 * the drain timeout to end, then are cut.
 */
public final class TransportRelay implements AutoCloseable {

    /** At or below this heap Netty's adaptive allocator runs in its low-memory mode (see start). */
    private static final long LOW_MEMORY_HEAP = 512L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(TransportRelay.class);

    /** Every host's tunnel sessions: a session names its two hosts, and only its source's topic is believed. */
    private static final java.util.regex.Pattern SESSIONS =
            TopicCatalogue.everyHost(TopicCatalogue.TUNNEL_SESSIONS_TEMPLATE);

    private final RelayConfig config;
    private final Vertx vertx;
    private final Relay relay;
    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    private final SessionFeed feed;
    private final ServiceMetrics metrics;
    private DecodingConsumer<TunnelSession> sessions;
    private final Loops loops;
    private final Tls tls;
    private ManagementServer management;
    private int port;

    public TransportRelay(RelayConfig config) throws Exception {
        this.config = config;
        this.loops = Loops.exitingOnDeath("relay " + config.hostId());
        this.metrics = new ServiceMetrics(Map.of("service", "relay", "host", config.hostId()));
        // Vert.x's own meters (connections, bytes per socket event) join the relay's registry
        this.vertx = Vertx.builder()
                .with(new VertxOptions()
                        .setPreferNativeTransport(true)
                        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
                .build();
        this.producer = new KafkaProducer<>(config.endpoints().producer("vmflow-relay-" + config.hostId()));
        metrics.bind(producer);
        this.wire = new WireFormat(config.endpoints().registry());
        wire.prime(TopicCatalogue.FIXED); // a registry that dies later stops nothing
        this.tls = new Tls(
                config.caPath().toString(),
                config.certPath().toString(),
                config.keyPath().toString(),
                config.crlPath() == null ? null : config.crlPath().toString());
        this.relay = new Relay(
                vertx,
                tls,
                new SessionBook(config.hostId(), Clock.systemUTC()),
                RelayMetrics.counting(metrics.registry(), new TunnelReporter(config.hostId(), producer, wire)));
        RelayMetrics.register(metrics.registry(), relay, () -> sessions == null ? 0 : sessions.deadLettered());
        this.feed = new SessionFeed(
                config.hostId(),
                relay,
                CredentialSeal.privateKey(config.keyPath()),
                config.socketDir(),
                Clock.systemUTC());
    }

    public TransportRelay start() throws Exception {
        LOG.info("transport relay starting: {}", config.describe());
        if (Runtime.getRuntime().maxMemory() <= LOW_MEMORY_HEAP) {
            // Netty's adaptive allocator decides at start, from the heap's size alone, whether to pool
            LOG.warn(
                    "heap of {} MiB: Netty pools no buffer above 16 KiB with a heap of 512 MiB or less, and the "
                            + "relay carries about a fifth less; start it with -Xmx1g",
                    Runtime.getRuntime().maxMemory() >> 20);
        }
        // the hypervisor binds its incoming socket there (destination) and connects to ours (source)
        java.nio.file.Files.createDirectories(config.socketDir());
        String[] hp = config.listen().split(":");
        port = relay.listen(hp[0], Integer.parseInt(hp[1]))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        String group = "vmflow-relay-" + config.hostId();
        java.util.Properties consumerSettings = config.endpoints().soleMember(group, group + "-sessions");
        // a new host's session topic is seen at the next metadata refresh (Kafka's default: 5 min)
        consumerSettings.put(org.apache.kafka.clients.consumer.ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5000);
        KafkaConsumer<String, byte[]> sessionConsumer = new KafkaConsumer<>(consumerSettings);
        metrics.bind(sessionConsumer);
        sessions = new DecodingConsumer<>(
                        "relay-sessions-" + config.hostId(),
                        sessionConsumer,
                        SESSIONS,
                        wire,
                        TunnelSession.class,
                        feed::accept,
                        new DeadLetters(producer, group),
                        loops)
                .whenAssigned(() ->
                        LOG.info("transport relay {} taking sessions from {}", config.hostId(), SESSIONS.pattern()))
                .start();
        if (config.management() != null) {
            management = ManagementServer.start(config.management(), "relay", this::readiness, metrics);
        }
        LOG.info(
                "transport relay {} on {} (TLS 1.3 by {}, mutual authentication; native transport {}); sessions from {}",
                config.hostId(),
                hp[0] + ":" + port,
                Tls.engineName(),
                vertx.isNativeTransportEnabled(),
                SESSIONS.pattern());
        vertx.setPeriodic(60_000, t -> relay.forgetExpired());
        watchTls();
        return this;
    }

    /**
     * Every 10 s, whether the certificate, key, CA or revocation list changed (a rotation, a revocation);
     * if so they are loaded again, without a restart: new connections use them, running streams go on.
     */
    private void watchTls() {
        Map<String, Long> seen = new java.util.HashMap<>(modified());
        vertx.setPeriodic(10_000, t -> {
            Map<String, Long> now = modified();
            if (now.equals(seen)) {
                return;
            }
            seen.clear();
            seen.putAll(now);
            try {
                feed.rotate(CredentialSeal.privateKey(config.keyPath()));
            } catch (Exception e) {
                LOG.error(
                        "cannot read the rotated key {} (keeping the one loaded): {}", config.keyPath(), e.toString());
                return;
            }
            relay.reloadTls()
                    .onSuccess(ok -> LOG.info("TLS files changed; loaded again: {}", tls.files()))
                    .onFailure(e ->
                            LOG.error("TLS files changed but do not load (keeping the ones loaded): {}", e.toString()));
        });
    }

    private Map<String, Long> modified() {
        Map<String, Long> m = new java.util.HashMap<>();
        for (String f : tls.files()) {
            m.put(f, new java.io.File(f).lastModified());
        }
        return m;
    }

    /** Ready when the session loop beats. */
    public Loops.Check readiness() {
        return loops.check()
                .and(DecodingConsumer.reading(sessions), "sessions: " + DecodingConsumer.describe(sessions));
    }

    /** The bound TLS port. */
    public int port() {
        return port;
    }

    public Relay relay() {
        return relay;
    }

    /** Where /health, /ready and /metrics are served, or -1 when off. */
    public int managementPort() {
        return management == null ? -1 : management.port();
    }

    /** Graceful stop: refuse new work, let running streams end (up to the drain timeout), then cut them. */
    @Override
    public void close() {
        var drained = relay.drain();
        if (relay.streamsLive() > 0) {
            LOG.info(
                    "draining: waiting up to {} s for {} running stream(s) to end",
                    config.drainTimeout().toSeconds(),
                    relay.streamsLive());
        }
        try {
            drained.get(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn("drain timeout: cutting {} stream(s) still running", relay.streamsLive());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("draining failed: {}", e.getCause().toString());
        }
        if (sessions != null) {
            sessions.close();
        }
        relay.close();
        producer.close(Duration.ofSeconds(10));
        if (management != null) {
            management.close();
        }
        vertx.close()
                .toCompletionStage()
                .toCompletableFuture()
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
        metrics.close();
        LOG.info("transport relay {} stopped", config.hostId());
    }
}
