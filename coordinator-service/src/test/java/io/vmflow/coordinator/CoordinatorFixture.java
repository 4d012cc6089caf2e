package io.vmflow.coordinator;

import static org.awaitility.Awaitility.await;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.relay.it.RelayProcess;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.auth.TestTokens;
import io.vmflow.testsupport.hosts.TestHost;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The whole system in one JVM for the coordinator's end-to-end tests: a real agent on each of the two
 * test hosts (optionally with a transport relay process per host), the coordinator with its HTTP API
 * on a free port, a producer for requests and a reader of the audit log.
 */
final class CoordinatorFixture implements AutoCloseable {

    final AgentHarness agents;
    Coordinator coordinator;
    final Events events;
    final WireFormat wire;
    private final KafkaProducer<String, byte[]> producer;
    private final String principal;
    private final List<RelayProcess> relays;
    private final Map<String, String> coordinatorEnv;

    private CoordinatorFixture(
            String principal, boolean withRelays, Map<String, String> agentEnv, Map<String, String> coordinatorEnv)
            throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        this.principal = principal;
        this.coordinatorEnv = coordinatorEnv;
        if (withRelays) {
            Path pki = RelayProcess.devPki(Path.of(".."), "hostA", "hostB");
            RelayProcess a =
                    RelayProcess.forTestHost(TestHost.load("hostA"), pki).start();
            RelayProcess b =
                    RelayProcess.forTestHost(TestHost.load("hostB"), pki).start();
            relays = List.of(a, b);
            Map<String, RelayProcess> byHost = Map.of("hostA", a, "hostB", b);
            agents = new AgentHarness(h -> merged(agentEnv, byHost.get(h.id()).agentEnv(pki)));
        } else {
            relays = List.of();
            agents = new AgentHarness(h -> agentEnv);
        }
        wire = new WireFormat(endpoints.registry());
        events = new Events(endpoints, wire);
        producer = new KafkaProducer<>(endpoints.producer("it-" + principal));
        coordinator = newCoordinator();
    }

    private Coordinator newCoordinator() throws InterruptedException {
        Map<String, String> env = new HashMap<>(Map.of(
                "VMFLOW_COORDINATOR_ID",
                "it-coordinator",
                "VMFLOW_COORDINATOR_HTTP",
                "127.0.0.1:0",
                "VMFLOW_COORDINATOR_MANAGEMENT",
                "127.0.0.1:0"));
        env.putAll(TestTokens.coordinatorEnv());
        env.putAll(coordinatorEnv);
        return new Coordinator(
                        CoordinatorConfig.from(env, io.vmflow.testsupport.TestPki.endpoints("coordinator", "it")))
                .start();
    }

    /** Stops the coordinator and starts a new one with the same id (cold: nothing cached). */
    void restartCoordinator() throws Exception {
        coordinator.close();
        coordinator = newCoordinator();
    }

    /** Stops every service (coordinator, agents, relays) and starts them again, as after a host reboot. */
    void restartAll() throws Exception {
        coordinator.close();
        agents.restartAgents();
        for (RelayProcess r : relays) {
            r.close();
            r.start();
        }
        coordinator = newCoordinator();
    }

    /** Agents only; {@code agentEnv} is added to both agents' configuration. */
    static CoordinatorFixture start(String principal, Map<String, String> agentEnv) throws Exception {
        return new CoordinatorFixture(principal, false, agentEnv, Map.of());
    }

    /** Agents only, and a coordinator with more configuration ({@code VMFLOW_COORDINATOR_*}). */
    static CoordinatorFixture start(String principal, Map<String, String> agentEnv, Map<String, String> coordinatorEnv)
            throws Exception {
        return new CoordinatorFixture(principal, false, agentEnv, coordinatorEnv);
    }

    /** Agents and a relay process per test host, the agents pointed at their relay. */
    static CoordinatorFixture startWithRelays(String principal) throws Exception {
        return new CoordinatorFixture(principal, true, Map.of(), Map.of());
    }

    RelayProcess relay(String hostId) {
        return relays.get("hostA".equals(hostId) ? 0 : 1);
    }

    /** Publishes a request on the requests topic as {@link #principal}; returns its id. */
    String request(MigrationSpec spec) throws Exception {
        String id = principal + "-" + UUID.randomUUID().toString().substring(0, 8);
        send(new MigrationRequest(id, spec, principal, "it", "testing", 0, Instant.now()));
        return id;
    }

    /** Publishes a request as it is (its own id, principal and reason). */
    void send(MigrationRequest r) throws Exception {
        producer.send(new ProducerRecord<>(
                        TopicCatalogue.MIGRATION_REQUESTS.name(),
                        r.getRequestId(),
                        wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), r)))
                .get();
    }

    /** Publishes a cancel request on the cancel topic as {@link #principal}. */
    void cancel(String migrationId, String reason) throws Exception {
        io.vmflow.avro.CancelRequest c = new io.vmflow.avro.CancelRequest(
                "cancel-" + UUID.randomUUID(), migrationId, principal, reason, Instant.now());
        producer.send(new ProducerRecord<>(
                        TopicCatalogue.CANCEL_REQUESTS.name(),
                        migrationId,
                        wire.encode(TopicCatalogue.CANCEL_REQUESTS.valueSubject(), c)))
                .get();
    }

    /** Waits until the coordinator's inventory shows the guest on the host (agents publish periodically). */
    void awaitGuest(String hostId, String guest) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> coordinator.inventory().guest(hostId, guest).isPresent());
    }

    String principal() {
        return principal;
    }

    private static Map<String, String> merged(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new HashMap<>(a);
        m.putAll(b);
        return m;
    }

    @Override
    public void close() throws Exception {
        coordinator.close();
        producer.close();
        events.close();
        agents.close();
        for (RelayProcess r : relays) {
            r.close();
        }
    }
}
