package io.vmflow.ops.setup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.security.Identity;
import io.vmflow.runtime.security.KafkaAccess;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker, not vmflow's code, refuses what a principal may not do: each vmflow principal (from the
 * stack's PKI, with the ACLs {@code vmflow setup} grants) tries the forbidden acts an attacker holding
 * its key would try, beside an allowed act that must succeed (so a broker that refused everything, or
 * nothing, fails this test). Clients without a certificate, or with one from another CA, get nowhere.
 */
class KafkaAccessIT {

    static Endpoints stack;

    @BeforeAll
    static void onlyOnATlsStack() throws Exception {
        stack = RealStack.endpoints();
        assumeThat(stack.tlsDir())
                .as("the stack runs with the plaintext development switch")
                .isNotNull();
        try (Admin admin = Admin.create(stack.admin())) {
            for (String host : List.of("it-access-a", "it-access-b")) {
                for (var template : TopicCatalogue.PER_HOST) {
                    var topic = TopicCatalogue.forHost(template, host);
                    try {
                        admin.createTopics(List.of(new NewTopic(topic.name(), topic.partitions(), (short) -1)))
                                .all()
                                .get(30, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                    }
                }
            }
        }
    }

    @Test
    void eachPrincipalMayDoItsJobAndTheBrokerRefusesItEverythingElse() throws Exception {
        Endpoints requester = TestPki.endpoints("requester", "it-mallory");
        Endpoints agentA = TestPki.endpoints("agent", "it-access-a");
        Endpoints relayA = TestPki.endpoints("relay", "it-access-a");
        String commandsA = TopicCatalogue.hostCommands("it-access-a").name();
        String commandsB = TopicCatalogue.hostCommands("it-access-b").name();
        String reportsA = TopicCatalogue.hostReports("it-access-a").name();

        Map<String, String> outcomes = new LinkedHashMap<>();
        outcomes.put(
                "requester writes a migration request", write(requester, TopicCatalogue.MIGRATION_REQUESTS.name()));
        outcomes.put("requester reads the audit log", read(requester, TopicCatalogue.MIGRATION_EVENTS.name()));
        outcomes.put("requester forges a host command", write(requester, commandsA));
        outcomes.put("requester forges a host report", write(requester, reportsA));
        outcomes.put(
                "requester reads host state",
                read(requester, TopicCatalogue.hostState("it-access-a").name()));
        outcomes.put("requester forges a lease", write(requester, TopicCatalogue.COORDINATOR_LEASES.name()));
        outcomes.put(
                "requester forges a tunnel session",
                write(requester, TopicCatalogue.tunnelSessions("it-access-a").name()));
        outcomes.put("requester forges an event", write(requester, TopicCatalogue.MIGRATION_EVENTS.name()));
        outcomes.put("requester reads host commands", read(requester, commandsA));

        outcomes.put("agent reads its own commands", read(agentA, commandsA));
        outcomes.put("agent writes a report", write(agentA, reportsA));
        outcomes.put(
                "agent writes its state",
                write(agentA, TopicCatalogue.hostState("it-access-a").name()));
        outcomes.put(
                "agent reports as another host",
                write(agentA, TopicCatalogue.hostReports("it-access-b").name()));
        outcomes.put(
                "agent writes another host's state",
                write(agentA, TopicCatalogue.hostState("it-access-b").name()));
        outcomes.put("agent reads another host's commands", read(agentA, commandsB));
        outcomes.put("agent forges a command for another host", write(agentA, commandsB));
        outcomes.put(
                "agent opens a tunnel session as its host",
                write(agentA, TopicCatalogue.tunnelSessions("it-access-a").name()));
        outcomes.put(
                "agent forges another host's tunnel session",
                write(agentA, TopicCatalogue.tunnelSessions("it-access-b").name()));
        outcomes.put("agent forges a command for itself", write(agentA, commandsA));
        outcomes.put(
                "agent writes its peer commands",
                write(agentA, TopicCatalogue.peerCommands("it-access-a").name()));
        outcomes.put(
                "agent reads another host's peer commands",
                read(agentA, TopicCatalogue.peerCommands("it-access-b").name()));
        outcomes.put(
                "agent writes another host's peer commands",
                write(agentA, TopicCatalogue.peerCommands("it-access-b").name()));
        outcomes.put("agent forges a lease", write(agentA, TopicCatalogue.COORDINATOR_LEASES.name()));
        outcomes.put("agent forges an event", write(agentA, TopicCatalogue.MIGRATION_EVENTS.name()));
        outcomes.put("agent forges a migration request", write(agentA, TopicCatalogue.MIGRATION_REQUESTS.name()));
        outcomes.put("agent joins another host's group", joinGroup(agentA, "vmflow-agent-it-access-b", commandsA));

        outcomes.put(
                "relay reads every host's tunnel sessions",
                read(relayA, TopicCatalogue.tunnelSessions("it-access-b").name()));
        outcomes.put(
                "relay forges a tunnel session",
                write(relayA, TopicCatalogue.tunnelSessions("it-access-a").name()));
        outcomes.put("relay reads host commands", read(relayA, commandsA));
        outcomes.put("relay forges a host report", write(relayA, reportsA));

        assertThat(outcomes)
                .containsEntry("requester writes a migration request", "ok")
                .containsEntry("requester reads the audit log", "ok")
                .containsEntry("requester forges a host command", "TopicAuthorizationException")
                .containsEntry("requester forges a host report", "TopicAuthorizationException")
                .containsEntry("requester forges a lease", "TopicAuthorizationException")
                .containsEntry("requester forges a tunnel session", "TopicAuthorizationException")
                .containsEntry("requester forges an event", "TopicAuthorizationException")
                .containsEntry("requester reads host commands", "TopicAuthorizationException")
                .containsEntry("requester reads host state", "ok")
                .containsEntry("agent reads its own commands", "ok")
                .containsEntry("agent writes a report", "ok")
                .containsEntry("agent writes its state", "ok")
                .containsEntry("agent reports as another host", "TopicAuthorizationException")
                .containsEntry("agent writes another host's state", "TopicAuthorizationException")
                .containsEntry("agent reads another host's commands", "TopicAuthorizationException")
                .containsEntry("agent forges a command for another host", "TopicAuthorizationException")
                .containsEntry("agent opens a tunnel session as its host", "ok")
                .containsEntry("agent forges another host's tunnel session", "TopicAuthorizationException")
                .containsEntry("agent forges a command for itself", "TopicAuthorizationException")
                .containsEntry("agent writes its peer commands", "ok")
                .containsEntry("agent reads another host's peer commands", "ok")
                .containsEntry("agent writes another host's peer commands", "TopicAuthorizationException")
                .containsEntry("agent forges a lease", "TopicAuthorizationException")
                .containsEntry("agent forges an event", "TopicAuthorizationException")
                .containsEntry("agent forges a migration request", "TopicAuthorizationException")
                .containsEntry("agent joins another host's group", "GroupAuthorizationException")
                .containsEntry("relay reads every host's tunnel sessions", "ok")
                .containsEntry("relay forges a tunnel session", "TopicAuthorizationException")
                .containsEntry("relay reads host commands", "TopicAuthorizationException")
                .containsEntry("relay forges a host report", "TopicAuthorizationException");
    }

    /**
     * An upgrade narrows access: what an older vmflow granted an agent (write to every host's command
     * topic) and this one does not is deleted by setup, and the broker refuses it from then on.
     */
    @Test
    void setupTakesAwayWhatARoleNoLongerGrants() throws Exception {
        String name = "it-upgraded-" + java.util.UUID.randomUUID().toString().substring(0, 6);
        Identity agent = new Identity(Identity.AGENT, name);
        Endpoints as = TestPki.endpoints("agent", name);
        String commandsB = TopicCatalogue.hostCommands("it-access-b").name();
        AclBinding old = new AclBinding(
                new ResourcePattern(
                        ResourceType.TOPIC,
                        TopicCatalogue.prefixOf(TopicCatalogue.HOST_COMMANDS_TEMPLATE),
                        PatternType.PREFIXED),
                new AccessControlEntry("User:" + agent.principal(), "*", AclOperation.WRITE, AclPermissionType.ALLOW));
        try (Admin admin = Admin.create(stack.admin())) {
            admin.createAcls(List.of(old)).all().get(30, TimeUnit.SECONDS);
            assertThat(write(as, commandsB)).as("the old grant in force").isEqualTo("ok");

            List<String> lines = new AccessSetup(admin).grant(List.of(agent), List.of());

            assertThat(lines).singleElement().asString().contains("1 no longer granted deleted");
            assertThat(admin.describeAcls(KafkaAccess.all(agent)).values().get(30, TimeUnit.SECONDS))
                    .containsExactlyInAnyOrderElementsOf(KafkaAccess.of(agent));
            assertThat(write(as, commandsB)).isEqualTo("TopicAuthorizationException");
            admin.deleteAcls(List.of(KafkaAccess.all(agent))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void clientsWithoutAVmflowCertificateGetNowhere() throws Exception {
        Path rogue = Files.createTempDirectory("rogue-pki");
        Process p = new ProcessBuilder(
                        TestPki.repoRoot().resolve("ops/pki.sh").toString(),
                        rogue.toString(),
                        "issue",
                        "admin",
                        "vmflow")
                .inheritIO()
                .start();
        assertThat(p.waitFor()).isZero();
        // the same name as the stack's admin, signed by another CA: the TLS handshake fails
        Endpoints forged = stack.as(rogue.resolve("admin.vmflow"));
        assertThat(write(forged, TopicCatalogue.MIGRATION_REQUESTS.name())).isEqualTo("SslAuthenticationException");
        // no TLS at all on the TLS port: the broker never answers a Kafka request
        Endpoints plaintext = new Endpoints(stack.bootstrapServers(), stack.registryUrl());
        assertThat(write(plaintext, TopicCatalogue.MIGRATION_REQUESTS.name()))
                .isIn("TimeoutException", "SslAuthenticationException");
    }

    /**
     * ops/pki.sh's revoke is enough: the brokers read the new revocation list at the next connection
     * (KafkaPrincipals), and the revoked certificate, ACLs still granted, is nobody.
     */
    @Test
    void aRevokedCertificateIsNobodyFromItsNextConnection() throws Exception {
        String name = "it-revoked-" + java.util.UUID.randomUUID().toString().substring(0, 6);
        Path issued = TestPki.principal("requester", name);
        assertThat(write(stack.as(issued), TopicCatalogue.MIGRATION_REQUESTS.name()))
                .isEqualTo("ok");
        Path stolen = Files.createTempDirectory("stolen-pki");
        for (String f : List.of("ca.crt", "cert.pem", "key.pem", "keystore.pem")) {
            Files.copy(issued.resolve(f), stolen.resolve(f));
        }
        Process p = new ProcessBuilder(
                        TestPki.repoRoot().resolve("ops/pki.sh").toString(),
                        TestPki.dir().toString(),
                        "revoke",
                        "requester." + name)
                .inheritIO()
                .start();
        assertThat(p.waitFor()).isZero();
        assertThat(write(stack.as(stolen), TopicCatalogue.MIGRATION_REQUESTS.name()))
                .isEqualTo("TopicAuthorizationException");
    }

    /** Writes one record; "ok" or the simple name of the exception that refused it. */
    static String write(Endpoints as, String topic) {
        Properties p = as.producer("it-access");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            producer.send(new ProducerRecord<>(topic, "it-access", new byte[] {0, 1, 2}))
                    .get(30, TimeUnit.SECONDS);
            return "ok";
        } catch (Exception e) {
            return refusal(e);
        }
    }

    /** Reads a topic from its start without a group; "ok" or what refused it. */
    static String read(Endpoints as, String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(as.consumer(null, "it-access"))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            consumer.poll(Duration.ofSeconds(3));
            return "ok";
        } catch (Exception e) {
            return refusal(e);
        }
    }

    /** Joins a consumer group and polls; "ok" or what refused it. */
    static String joinGroup(Endpoints as, String group, String topic) {
        Properties p = as.consumer(group, "it-access");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            consumer.poll(Duration.ofSeconds(5));
            return "ok";
        } catch (Exception e) {
            return refusal(e);
        }
    }

    private static String refusal(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.ExecutionException
                        || t.getClass() == org.apache.kafka.common.KafkaException.class)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName();
    }
}
