package io.vmflow.agent;

import io.vmflow.agent.commands.CommandLedger;
import io.vmflow.agent.commands.CommandOrigin;
import io.vmflow.agent.commands.CommandProcessor;
import io.vmflow.agent.commands.LedgerRecovery;
import io.vmflow.agent.config.AgentConfig;
import io.vmflow.agent.flows.DestinationSide;
import io.vmflow.agent.flows.PeerToPeerSource;
import io.vmflow.agent.flows.ProgressSampler;
import io.vmflow.agent.flows.Reattach;
import io.vmflow.agent.flows.SourceSide;
import io.vmflow.agent.flows.UnmanagedHandoff;
import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.lease.LeaseWatch;
import io.vmflow.agent.libvirt.LibvirtHypervisor;
import io.vmflow.agent.management.AgentMetrics;
import io.vmflow.agent.peer.PeerLink;
import io.vmflow.agent.report.Reporter;
import io.vmflow.agent.state.HostStatePublisher;
import io.vmflow.agent.tunnel.Tunnels;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.Liveness;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.DecodingConsumer;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicReplication;
import io.vmflow.runtime.management.ManagementServer;
import io.vmflow.runtime.management.ServiceMetrics;
import io.vmflow.runtime.security.CredentialSeal;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One host's agent, wired by hand: config -> libvirt -> Kafka clients -> command processing -> state
 * publishing. {@link #start()} creates this host's command topic from the catalogue if it is missing,
 * then starts consuming it; {@link #close()} stops taking commands, lets running ones end, and says
 * DOWN.
 */
public final class HostAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HostAgent.class);

    private final AgentConfig config;
    private final Hypervisor hypervisor;
    private final KafkaProducer<String, byte[]> producer;
    private final WireFormat wire;
    /** Migrations (PERFORM and the hand-offs), which run as long as the hypervisor copies. */
    private final ExecutorService workers;
    /** The short steps around them (BEGIN, PREPARE, FINISH, CONFIRM): never queued behind a migration. */
    private final ExecutorService steps;

    private final ExecutorService urgent;
    /** Progress samples and unmanaged observations. */
    private final ScheduledExecutorService scheduler;
    /** The lease watch alone: a slow libvirt call elsewhere must never delay the seed's abort rule. */
    private final ScheduledExecutorService leaseTimer;
    /** Host state publication, on a libvirt connection of its own. */
    private final ScheduledExecutorService stateTimer;

    private final Hypervisor inventoryConnection;
    private final CommandProcessor processor;
    private final HostStatePublisher state;
    private final Reporter reporter;
    private final CommandLedger ledger = new CommandLedger();
    private final LeaseWatch leases;
    private final LedgerRecovery recovery;
    private final ServiceMetrics serviceMetrics;
    private final AgentMetrics metrics;
    private final Loops loops;
    private final DeadLetters deadLetters;
    private ManagementServer management;
    private PeerLink peer;
    private DecodingConsumer<HostCommand> consumer;
    private final Tunnels tunnels;

    public HostAgent(AgentConfig config) {
        this.config = config;
        this.hypervisor = new LibvirtHypervisor(config.libvirtUri(), config.libvirtPki());
        this.serviceMetrics = new ServiceMetrics(Map.of("service", "agent", "host", config.hostId()));
        this.metrics = new AgentMetrics(serviceMetrics.registry());
        this.producer = new KafkaProducer<>(config.endpoints().producer("vmflow-agent-" + config.hostId()));
        serviceMetrics.bind(producer);
        this.wire = new WireFormat(config.endpoints().registry());
        wire.prime(TopicCatalogue.all(List.of(config.hostId()))); // a registry that dies later stops nothing
        this.workers = new ThreadPoolExecutor(
                config.workers(),
                config.workers(),
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(256),
                named("agent-worker-" + config.hostId()));
        this.steps = new ThreadPoolExecutor(
                config.workers(),
                config.workers(),
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(256),
                named("agent-step-" + config.hostId()));
        this.urgent = Executors.newSingleThreadExecutor(named("agent-abort-" + config.hostId()));
        this.scheduler = Executors.newScheduledThreadPool(1, named("agent-progress-" + config.hostId()));
        this.leaseTimer = Executors.newScheduledThreadPool(1, named("agent-lease-" + config.hostId()));
        this.stateTimer = Executors.newScheduledThreadPool(1, named("agent-state-" + config.hostId()));
        this.inventoryConnection = new LibvirtHypervisor(config.libvirtUri(), config.libvirtPki());
        this.reporter = new Reporter(config.hostId(), producer, wire, metrics);
        this.loops = Loops.exitingOnDeath("agent " + config.hostId());
        this.deadLetters = new DeadLetters(producer, "vmflow-agent-" + config.hostId());
        this.leases = new LeaseWatch(
                config.hostId(),
                config.endpoints(),
                wire,
                hypervisor,
                reporter,
                leaseTimer,
                Clock.systemUTC(),
                loops,
                deadLetters);
        this.tunnels = new Tunnels(
                config.hostId(),
                config.endpoints(),
                producer,
                wire,
                relayKey(config) == null ? null : () -> relayKey(config),
                config.relaySocketDir(),
                loops);
        UnmanagedHandoff unmanaged = new UnmanagedHandoff(hypervisor, reporter, scheduler, config.progressInterval());
        ProgressSampler progress = new ProgressSampler(hypervisor, reporter, scheduler, config.progressInterval());
        SourceSide source = new SourceSide(hypervisor, progress, leases, unmanaged, tunnels);
        DestinationSide destination = new DestinationSide(hypervisor, config.migrationAddresses());
        this.recovery = new LedgerRecovery(
                config.hostId(),
                config.endpoints(),
                wire,
                ledger,
                reporter,
                new Reattach(config.hostId(), hypervisor, source, destination),
                unmanaged,
                progress,
                scheduler);
        this.peer = new PeerLink(config.hostId(), config.endpoints(), producer, wire, loops);
        this.processor = new CommandProcessor(
                config.hostId(),
                ledger,
                reporter,
                workers,
                steps,
                urgent,
                source,
                destination,
                new PeerToPeerSource(config.hostId(), hypervisor, source, peer, config.peerTimeout()));
        this.state = new HostStatePublisher(
                config, inventoryConnection, producer, wire, processor::runningMigrations, metrics);
        reporter.beforeOutcome(() -> state.publishChange(java.time.Duration.ofSeconds(2)));
        metrics.runningMigrations(processor::runningMigrations);
    }

    public HostAgent start() throws InterruptedException {
        LOG.info("host agent starting: {}", config.describe());
        Topic commands = TopicCatalogue.hostCommands(config.hostId());
        // this host's own topics (created here when the host is new): its commands, reports and state
        ensureTopics(TopicCatalogue.PER_HOST.stream()
                .map(t -> TopicCatalogue.forHost(t, config.hostId()))
                .toList());
        recovery.recover();
        peer.start();
        tunnels.start();
        state.publish(Liveness.UP);
        stateTimer.scheduleAtFixedRate(
                () -> state.publish(Liveness.UP),
                config.stateInterval().toMillis(),
                config.stateInterval().toMillis(),
                TimeUnit.MILLISECONDS);
        String group = "vmflow-agent-" + config.hostId();
        Properties consumerSettings = config.endpoints().soleMember(group, group + "-commands");
        // a new host's peer-command topic is seen at the next metadata refresh (Kafka's default: 5 min)
        consumerSettings.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5000);
        KafkaConsumer<String, byte[]> commandConsumer = new KafkaConsumer<>(consumerSettings);
        serviceMetrics.bind(commandConsumer);
        // its own commands (the coordinator's) and every host's peer commands (a source's PREPARE and
        // FINISH for the destination): CommandOrigin says which of those it takes
        Pattern fromWhere = CommandOrigin.topics(config.hostId());
        consumer = new DecodingConsumer<>(
                        "agent-commands-" + config.hostId(),
                        commandConsumer,
                        fromWhere,
                        wire,
                        HostCommand.class,
                        processor::accept,
                        deadLetters,
                        loops)
                // ready (and said so) only once the group has given it the partitions: a process
                // that merely subscribed reads nothing yet
                .whenAssigned(() -> LOG.info(
                        "host agent {} consuming {} and every host's peer commands", config.hostId(), commands.name()))
                .start();
        if (config.management() != null) {
            try {
                management = ManagementServer.start(config.management(), "agent", this::readiness, serviceMetrics);
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot open the management port " + config.management()
                                + " (set VMFLOW_AGENT_MANAGEMENT to a free HOST:PORT, or 'off'): " + e.getMessage(),
                        e);
            }
        }
        LOG.info(
                "host agent {} started{}; joining group {} for {}",
                config.hostId(),
                management == null
                        ? ""
                        : ", management on http://" + management.address().getHostString() + ":"
                                + management.address().getPort(),
                group,
                commands.name());
        return this;
    }

    /** Creates those of the topics that do not exist yet, with one admin client (one TLS connection). */
    private void ensureTopics(List<Topic> topics) throws InterruptedException {
        try (Admin admin = Admin.create(config.endpoints().admin())) {
            java.util.Set<String> existing;
            try {
                existing = admin.listTopics().names().get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("cannot list topics: " + e.getCause(), e.getCause());
            }
            for (Topic t : topics) {
                if (existing.contains(t.name())) {
                    continue;
                }
                try {
                    admin.createTopics(
                                    List.of(TopicReplication.fromEnvironment().newTopic(t)))
                            .all()
                            .get();
                    LOG.info("created {} from the catalogue", t.name());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(
                                "cannot create " + t.name() + ": " + e.getCause(), e.getCause());
                    }
                }
            }
        }
    }

    /** Ready when every loop beats and libvirt answers. */
    public Loops.Check readiness() {
        boolean libvirt = metrics.libvirtUp();
        return loops.check()
                .and(DecodingConsumer.reading(consumer), "commands: " + DecodingConsumer.describe(consumer))
                .and(libvirt, "libvirt: " + (libvirt ? "answers" : "does not answer at " + config.libvirtUri()));
    }

    /** Where /health, /ready and /metrics are served, or null when off. */
    public InetSocketAddress managementAddress() {
        return management == null ? null : management.address();
    }

    public Hypervisor hypervisor() {
        return hypervisor;
    }

    @Override
    public void close() {
        if (management != null) {
            management.close();
        }
        if (consumer != null) {
            consumer.close();
        }
        workers.shutdown();
        steps.shutdown();
        urgent.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.MINUTES);
            steps.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler.shutdownNow();
        leaseTimer.shutdownNow();
        stateTimer.shutdownNow();
        state.publish(Liveness.DOWN);
        peer.close();
        tunnels.close();
        leases.close();
        producer.close(Duration.ofSeconds(10));
        serviceMetrics.close();
        hypervisor.close();
        inventoryConnection.close();
        LOG.info("host agent {} stopped", config.hostId());
    }

    /** The public key of this host's relay certificate: tunnel credentials are sealed to it. */
    private static PublicKey relayKey(AgentConfig config) {
        if (config.relayCertificate() == null) {
            return null;
        }
        try {
            return CredentialSeal.publicKey(config.relayCertificate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "VMFLOW_AGENT_RELAY_CERT " + config.relayCertificate() + " is not a readable PEM certificate: "
                            + e.getMessage(),
                    e);
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
