package io.vmflow.coordinator;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vmflow.avro.HostState;
import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.coordinator.engine.ClusterView;
import io.vmflow.coordinator.engine.Engine;
import io.vmflow.coordinator.engine.EventIndex;
import io.vmflow.coordinator.http.Access;
import io.vmflow.coordinator.http.Dashboard;
import io.vmflow.coordinator.http.HttpApi;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.observe.LogMetrics;
import io.vmflow.coordinator.observe.RelayTraffic;
import io.vmflow.coordinator.statemachine.MigrationMachine;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.InvalidRecordException;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.management.ManagementServer;
import io.vmflow.runtime.management.ServiceMetrics;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The coordinator, wired by hand: config -> inventory -> state machine -> engine. */
public final class Coordinator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);

    private final CoordinatorConfig config;
    private final TopicTail<HostState> inventoryReader;
    private final Engine engine;
    private final Inventory inventory;
    private final ClusterView cluster;
    private final WireFormat wire;
    private final Loops loops;
    private final KafkaProducer<String, byte[]> deadLetterProducer;
    private final DeadLetters deadLetters;
    /** Learns each new host's command schema from the registry, off the inventory's thread. */
    private final ExecutorService schemaPrimer;

    private EventIndex events;
    private RelayTraffic relays;
    private KafkaProducer<String, byte[]> apiProducer;
    private HttpApi http;
    private int httpPort = -1;
    private final ServiceMetrics metrics;
    private ManagementServer management;

    public Coordinator(CoordinatorConfig config) {
        this.config = config;
        LOG.info("coordinator starting: {}", config.describe());
        this.wire = new WireFormat(config.endpoints().registry());
        wire.prime(TopicCatalogue.FIXED); // a registry that dies later stops nothing
        this.loops = Loops.exitingOnDeath("coordinator " + config.id());
        this.metrics = new ServiceMetrics(Map.of("service", "coordinator", "coordinator", config.id()));
        this.deadLetterProducer = new KafkaProducer<>(config.endpoints().producer(config.id() + "-dead-letters"));
        metrics.bind(deadLetterProducer);
        this.deadLetters = new DeadLetters(deadLetterProducer, config.id());
        this.inventory = new Inventory();
        this.schemaPrimer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, config.id() + "-schemas");
            t.setDaemon(true);
            return t;
        });
        this.inventoryReader = new TopicTail<>(
                        config.id() + "-inventory",
                        config.endpoints(),
                        TopicCatalogue.everyHost(TopicCatalogue.HOST_STATE_TEMPLATE),
                        // a host's last state says all: a restart reads that, not the history before it
                        TopicTail.From.LAST,
                        wire,
                        HostState.class,
                        (r, s) -> {
                            String topicHost = TopicCatalogue.hostOf(TopicCatalogue.HOST_STATE_TEMPLATE, r.topic())
                                    .orElse(null);
                            if (!s.getHostId().equals(topicHost)) {
                                throw new InvalidRecordException(
                                        ReasonCode.NOT_ITS_HOST,
                                        "a state naming " + s.getHostId() + " on " + r.topic() + ", which only "
                                                + topicHost + "'s agent writes");
                            }
                            if (inventory.host(s.getHostId()).isEmpty()) {
                                // a host seen for the first time: learn its command schema while the registry
                                // answers, on a thread of its own (a registry round trip per host would hold
                                // up a start by seconds at a thousand hosts)
                                Topic commands = TopicCatalogue.hostCommands(s.getHostId());
                                schemaPrimer.execute(() -> wire.prime(List.of(commands)));
                            }
                            inventory.update(s);
                        },
                        r -> {
                            // a host's tombstone retires only that host
                            if (!TopicCatalogue.isHostsOwn(TopicCatalogue.HOST_STATE_TEMPLATE, r.topic(), r.key())) {
                                throw new InvalidRecordException(
                                        ReasonCode.NOT_ITS_HOST,
                                        "a tombstone keyed " + r.key() + " on " + r.topic()
                                                + ", which retires only the host it belongs to");
                            }
                            inventory.remove(r.key());
                        },
                        loops,
                        deadLetters)
                .start();
        MigrationMachine machine =
                MigrationMachine.withDefaults(config.leaseGrace(), config.stepTimeout(), config.queueTimeout());
        this.cluster = new ClusterView(config.endpoints(), wire, config.id() + "-cluster", loops, deadLetters);
        this.engine = new Engine(config, machine, inventory, wire, cluster, loops, metrics);
    }

    public Coordinator start() throws InterruptedException {
        // the engine admits against the hosts' state and the whole cluster's open migrations: both read first
        // (each on its own thread, side by side)
        if (inventoryReader.awaitCaughtUp(Duration.ofSeconds(60))) {
            LOG.info("host inventory read: {} host(s)", inventory.hosts().size());
        } else {
            LOG.warn("host inventory not caught up after 60 s; starting anyway");
        }
        if (!cluster.awaitCaughtUp(Duration.ofSeconds(60))) {
            LOG.warn("the cluster's migration snapshots not read after 60 s; starting anyway");
        }
        engine.start();
        if (config.management() != null) {
            try {
                management = ManagementServer.start(config.management(), "coordinator", this::readiness, metrics);
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot open the management port " + config.management()
                                + " (set VMFLOW_COORDINATOR_MANAGEMENT to a free HOST:PORT, or 'off'): "
                                + e.getMessage(),
                        e);
            }
            LOG.info(
                    "management on http://{}:{} (/health, /ready, /metrics)",
                    management.address().getHostString(),
                    management.port());
        }
        if (config.http() != null || config.management() != null) {
            // the audit index replays every event: after the engine's restore and backlog, which it would slow
            engine.awaitCaughtUp(Duration.ofSeconds(30));
            LogMetrics logMetrics = new LogMetrics(metrics.registry(), engine::views);
            events = new EventIndex(
                    config.endpoints(), wire, config.id() + "-events", logMetrics::observe, loops, deadLetters);
        }
        if (config.http() != null) {
            relays = new RelayTraffic(config.endpoints(), wire, config.id() + "-relays", loops, deadLetters);
            apiProducer = new KafkaProducer<>(config.endpoints().producer(config.id() + "-http"));
            metrics.bind(apiProducer);
            // Vert.x's own meters (HTTP requests, connections) join the coordinator's registry
            Vertx vertx = Vertx.builder()
                    .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                    .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
                    .build();
            if (config.httpTokens() == null) {
                LOG.warn(
                        "HTTP API AUTHENTICATION IS OFF (VMFLOW_COORDINATOR_HTTP_AUTH=off): anyone who reaches {} can"
                                + " migrate, cancel and read every guest's migrations; for development only",
                        config.http());
            }
            http = new HttpApi(
                    vertx,
                    engine,
                    inventory,
                    events,
                    apiProducer,
                    wire,
                    new Dashboard(config, engine, inventory, events, relays),
                    new Access(config.httpTokens()));
            String[] hp = config.http().split(":");
            try {
                httpPort = http.start(hp[0], Integer.parseInt(hp[1]), config.httpTls());
            } catch (Exception e) {
                throw new IllegalStateException(
                        "cannot serve the HTTP API on " + config.http()
                                + " (set VMFLOW_COORDINATOR_HTTP to a free HOST:PORT, or 'off'): " + e.getMessage(),
                        e);
            }
            if (config.httpTls() == null) {
                LOG.warn("HTTP API IN PLAIN HTTP (VMFLOW_COORDINATOR_HTTP_TLS_DIR=off, or Kafka's plaintext switch):"
                        + " bearer tokens cross the network readable; for development only");
            }
            LOG.info(
                    "HTTP API on {}://{}:{} (OpenAPI at /openapi.yaml)",
                    config.httpTls() == null ? "http" : "https",
                    hp[0],
                    httpPort);
        }
        return this;
    }

    /**
     * Ready when every loop beats and the engine serves (not while it connects, joins its group and
     * restores, or waits out an outage).
     */
    public Loops.Check readiness() {
        return loops.check()
                .and(
                        engine.isServing(),
                        "engine: "
                                + (engine.isServing()
                                        ? "serving"
                                        : "not serving (connecting, joining its group and restoring its migrations, or waiting"
                                                + " for the broker or the registry)"));
    }

    /** The management port (/health, /ready, /metrics), or -1 when it is off. */
    public int managementPort() {
        return management == null ? -1 : management.port();
    }

    /** The HTTP API's port, or -1 when it is off. */
    public int httpPort() {
        return httpPort;
    }

    public Inventory inventory() {
        return inventory;
    }

    public Engine engine() {
        return engine;
    }

    @Override
    public void close() {
        if (management != null) {
            management.close();
        }
        if (http != null) {
            http.close();
            apiProducer.close();
            relays.close();
        }
        if (events != null) {
            events.close();
        }
        engine.close();
        cluster.close();
        inventoryReader.close();
        schemaPrimer.shutdownNow();
        deadLetterProducer.close(Duration.ofSeconds(5));
        metrics.close();
        LOG.info("coordinator {} stopped", config.id());
    }
}
