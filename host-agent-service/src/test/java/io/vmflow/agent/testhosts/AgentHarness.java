package io.vmflow.agent.testhosts;

import io.vmflow.agent.HostAgent;
import io.vmflow.agent.config.AgentConfig;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.hosts.Reports;
import io.vmflow.testsupport.hosts.TestGuest;
import io.vmflow.testsupport.hosts.TestHost;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Two real host agents (in the test's JVM) on the two real test hosts, plus what a test needs to
 * command them the way a coordinator would: through the real broker and registry.
 */
public final class AgentHarness implements AutoCloseable {

    public final TestHost hostA = TestHost.load("hostA");
    public final TestHost hostB = TestHost.load("hostB");
    public final Reports reports;
    private HostAgent agentA;
    private HostAgent agentB;
    private final KafkaProducer<String, byte[]> producer;
    private final WireFormat wire;
    private final long epoch = System.currentTimeMillis();
    private final Endpoints endpoints = Endpoints.fromEnvironment();

    private final Function<TestHost, Map<String, String>> extra;

    public AgentHarness() throws InterruptedException {
        this(h -> Map.of());
    }

    /** Agents with more configuration per host (e.g. their transport relay's endpoint and certificate). */
    public AgentHarness(Function<TestHost, Map<String, String>> extra) throws InterruptedException {
        this(extra, true);
    }

    /**
     * With {@code agentAHere} false, hostA's agent is left to the test (e.g. an {@link AgentProcess}
     * it can kill -9); hostB's runs in this JVM.
     */
    public AgentHarness(Function<TestHost, Map<String, String>> extra, boolean agentAHere) throws InterruptedException {
        this.extra = extra;
        agentA = agentAHere ? new HostAgent(config(hostA)).start() : null;
        agentB = new HostAgent(config(hostB)).start();
        wire = new WireFormat(endpoints.registry());
        producer = new KafkaProducer<>(endpoints.producer("it-commands"));
        reports = new Reports(endpoints, wire);
    }

    private AgentConfig config(TestHost h) {
        return AgentConfig.from(environment(h), io.vmflow.testsupport.TestPki.endpoints("agent", h.id()));
    }

    /** The configuration of a host's agent, as environment variables. */
    public Map<String, String> environment(TestHost h) {
        return environment(h, extra.apply(h));
    }

    /** The configuration of a test host's agent, as environment variables, with {@code extra} added. */
    public static Map<String, String> environment(TestHost h, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "VMFLOW_AGENT_HOST_ID",
                h.id(),
                "VMFLOW_AGENT_LIBVIRT_URI",
                h.libvirtUri(),
                "VMFLOW_AGENT_MIGRATION_ADDRESSES",
                h.migrationAddress(),
                "VMFLOW_AGENT_PROGRESS_INTERVAL_MS",
                "300",
                "VMFLOW_AGENT_MANAGEMENT",
                "127.0.0.1:0"));
        env.putAll(io.vmflow.testsupport.TestPki.kafkaEnv("agent", h.id()));
        env.putAll(h.agentLibvirtPki());
        env.putAll(extra);
        return env;
    }

    /** A spec moving a guest from hostA to hostB, with both libvirt URIs filled in as the coordinator would. */
    public MigrationSpec.Builder spec(TestGuest g) {
        return MigrationSpec.newBuilder()
                .setGuest(g.name())
                .setSourceHost(hostA.id())
                .setDestinationHost(hostB.id())
                .setSourceUri(hostA.libvirtUri())
                .setDestinationUri(hostB.libvirtUri());
    }

    public HostCommand.Builder command(String migrationId, String host, CommandType type, MigrationSpec s) {
        return HostCommand.newBuilder()
                .setCommandId(migrationId + ":" + type.name().toLowerCase() + ":" + host)
                .setMigrationId(migrationId)
                .setHostId(host)
                .setType(type)
                .setEpoch(epoch)
                .setIssuer("it-harness")
                .setIssuedAt(Instant.now())
                .setSpec(s);
    }

    public void send(HostCommand c) throws Exception {
        Topic t = TopicCatalogue.hostCommands(c.getHostId());
        producer.send(new ProducerRecord<>(t.name(), c.getMigrationId(), wire.encode(t.valueSubject(), c)))
                .get();
    }

    /** Sends a command and waits for its final report. */
    public HostReport run(HostCommand c) throws Exception {
        send(c);
        return reports.awaitFinal(c.getCommandId());
    }

    /** Stops hostA's agent and starts a new one, as after a crash or an upgrade. */
    public void restartAgentA() throws InterruptedException {
        agentA.close();
        agentA = new HostAgent(config(hostA)).start();
    }

    /** Stops both agents and starts new ones. */
    public void restartAgents() throws InterruptedException {
        restartAgentA();
        agentB.close();
        agentB = new HostAgent(config(hostB)).start();
    }

    public HostAgent agentA() {
        return agentA;
    }

    public HostAgent agentB() {
        return agentB;
    }

    public long epoch() {
        return epoch;
    }

    /** Publishes a coordinator lease, as a coordinator renewing it would. */
    public void publishLease(String coordinatorId, long leaseEpoch, Instant expiresAt, List<String> migrationIds)
            throws Exception {
        Topic t = TopicCatalogue.COORDINATOR_LEASES;
        CoordinatorLease lease =
                new CoordinatorLease(coordinatorId, leaseEpoch, Instant.now(), expiresAt, migrationIds);
        producer.send(new ProducerRecord<>(t.name(), coordinatorId, wire.encode(t.valueSubject(), lease)))
                .get();
    }

    public static String newMigrationId() {
        return "it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public void close() {
        reports.close();
        producer.close();
        if (agentA != null) {
            agentA.close();
        }
        agentB.close();
    }
}
