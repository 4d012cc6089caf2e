package io.vmflow.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vmflow.agent.testhosts.AgentHarness;
import io.vmflow.agent.testhosts.AgentProcess;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.avro.Transport;
import io.vmflow.relay.it.RelayProcess;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import io.vmflow.testsupport.hosts.IncomingQemu;
import io.vmflow.testsupport.hosts.TestGuest;
import io.vmflow.testsupport.hosts.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The crash matrix (issue 15): every vmflow component that can die is killed with SIGKILL (the
 * registry too) in each window of a migration, and started again, while one migration of each flow and
 * transport runs from hostA to hostB: managed direct, peer-to-peer, unmanaged direct (to a QEMU outside
 * libvirt) and peer-to-peer tunnelled through the vmflow relays. Each lane is a cell; each cell must end
 * as docs/crash-matrix.md says for the phase the migration was in when the kill landed, with the guest
 * running on exactly one host (the destination if and only if SUCCEEDED), its memory intact, and its
 * audit log complete and in order. After the matrix, the CLI reads the audit log independently and must
 * agree. The table is printed and written to target/crash-matrix.md.
 *
 * <p>Every service here is a process of its own (agents, relays, the coordinator), so the kill is a
 * real one: no shutdown hook, connections dropped mid-call.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashMatrixIT {

    /** What is killed. */
    enum Component {
        COORDINATOR,
        SOURCE_AGENT,
        DESTINATION_AGENT,
        SOURCE_RELAY,
        REGISTRY,
        /** One broker of a three-broker cluster (VMFLOW_KAFKA_BROKERS=3; ops/test.sh runs these cells last). */
        BROKER
    }

    /** When: the first event of the round that shows the window's phase (any of the lanes). */
    enum Window {
        BEFORE_RUNNING,
        EARLY_RUNNING,
        LATE_RUNNING,
        FINISHING
    }

    /** A flow and transport: one migration of each runs in every round. */
    enum Lane {
        MANAGED_DIRECT(ControlFlow.MANAGED_DIRECT, Transport.NATIVE),
        PEER_TO_PEER(ControlFlow.MANAGED_PEER_TO_PEER, Transport.NATIVE),
        UNMANAGED(ControlFlow.UNMANAGED_DIRECT, Transport.NATIVE),
        PEER_TO_PEER_TUNNELLED(ControlFlow.MANAGED_PEER_TO_PEER, Transport.TUNNELLED);

        final ControlFlow flow;
        final Transport transport;

        Lane(ControlFlow flow, Transport transport) {
            this.flow = flow;
            this.transport = transport;
        }
    }

    /** One cell's result. */
    record Row(
            Component killed,
            Window window,
            Lane lane,
            String migrationId,
            Phase atKill,
            String outcome,
            double seconds,
            String verdict) {}

    static final List<Row> ROWS = new CopyOnWriteArrayList<>();
    static final List<String> MIGRATIONS = new CopyOnWriteArrayList<>();
    static final int GUEST_MIB = 192;
    static final long BANDWIDTH_MIBPS = 32;

    static TestHost hostA;
    static TestHost hostB;
    static RelayProcess relayA;
    static RelayProcess relayB;
    static AgentProcess agentA;
    static AgentProcess agentB;
    static CoordinatorProcess coordinator;
    static Events events;
    static WireFormat wire;
    static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        hostA = TestHost.load("hostA");
        hostB = TestHost.load("hostB");
        Path pki = RelayProcess.devPki(Path.of(".."), "hostA", "hostB");
        relayA = RelayProcess.forTestHost(hostA, pki).start();
        relayB = RelayProcess.forTestHost(hostB, pki).start();
        agentA = AgentProcess.start(AgentHarness.environment(hostA, relayA.agentEnv(pki)));
        agentB = AgentProcess.start(AgentHarness.environment(hostB, relayB.agentEnv(pki)));
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", endpoints.bootstrapServers());
        env.put("SCHEMA_REGISTRY_URL", endpoints.registryUrl());
        env.put("VMFLOW_COORDINATOR_ID", "it-matrix");
        env.put("VMFLOW_COORDINATOR_HTTP", "127.0.0.1:0");
        env.put("VMFLOW_COORDINATOR_MANAGEMENT", "127.0.0.1:0");
        // the four lanes of a round run at once (the default admits two per host): each is in its window
        env.put("VMFLOW_COORDINATOR_OUTBOUND_LIMIT", "4");
        env.put("VMFLOW_COORDINATOR_INBOUND_LIMIT", "4");
        coordinator = CoordinatorProcess.start(env);
        wire = new WireFormat(new SchemaRegistryClient(endpoints.registryUrl()));
        events = new Events(endpoints, wire);
        producer = new KafkaProducer<>(endpoints.producer("it-matrix-requests"));
    }

    @AfterAll
    static void stop() throws Exception {
        String table = table();
        System.out.println(table);
        Files.writeString(Path.of("target", "crash-matrix.md"), table);
        producer.close();
        events.close();
        coordinator.close();
        agentA.close();
        agentB.close();
        relayA.close();
        relayB.close();
    }

    /**
     * The components named in -Dmatrix.components=A,B, or else every one that this stack has: a broker
     * is killed only in a three-broker cluster (with one, its death is an outage, see OutageIT).
     */
    static Stream<Arguments> cells() {
        String only = System.getProperty("matrix.components", "");
        boolean replicated = "3".equals(System.getenv("VMFLOW_KAFKA_BROKERS"));
        return Stream.of(Component.values())
                .filter(c -> only.isBlank()
                        ? c != Component.BROKER || replicated
                        : List.of(only.split(",")).contains(c.name()))
                .flatMap(c -> Stream.of(Window.values()).map(w -> Arguments.of(c, w)));
    }

    @Order(1)
    @ParameterizedTest(name = "{0} killed {1}")
    @MethodSource("cells")
    void everyLaneEndsAsDocumentedWithTheGuestOnExactlyOneHostIntact(Component killed, Window window) throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 4);
        Map<Lane, TestGuest> guests = new EnumMap<>(Lane.class);
        IncomingQemu incoming = null;
        List<String> failures = new ArrayList<>();
        try {
            for (Lane lane : Lane.values()) {
                TestGuest g = new TestGuest(
                        "cm-" + lane.name().toLowerCase().replace('_', '-') + "-" + tag, GUEST_MIB, "ws=2");
                g.start(hostA, false);
                guests.put(lane, g);
            }
            int port = 49180 + (int) (Math.random() * 30); // inside the host's migration port range
            incoming = IncomingQemu.start(hostB, guests.get(Lane.UNMANAGED).xml(), port);
            IncomingQemu listening = incoming;
            await().atMost(Duration.ofSeconds(30)).until(listening::listening);
            coordinator.awaitGuests(
                    "hostA", guests.values().stream().map(TestGuest::name).toList());

            Map<Lane, String> ids = new EnumMap<>(Lane.class);
            for (Lane lane : Lane.values()) {
                MigrationSpec.Builder spec = MigrationSpec.newBuilder()
                        .setGuest(guests.get(lane).name())
                        .setSourceHost("hostA")
                        .setControlFlow(lane.flow)
                        .setTransport(lane.transport)
                        .setBandwidthMiBps(BANDWIDTH_MIBPS);
                if (lane == Lane.UNMANAGED) {
                    spec.setMigrationUri("tcp://" + hostB.migrationAddress() + ":" + port);
                } else {
                    spec.setDestinationHost("hostB");
                }
                ids.put(lane, request(spec.build()));
            }
            MIGRATIONS.addAll(ids.values());

            await("a lane reaching " + window)
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> ids.values().stream().anyMatch(id -> reached(id, window))
                            || ids.values().stream()
                                    .allMatch(id -> finalEvent(id).isPresent()));
            Instant killedAt = Instant.now();
            Map<Lane, Phase> atKill = new EnumMap<>(Lane.class);
            ids.forEach((lane, id) -> atKill.put(lane, phaseAt(id, killedAt)));
            killAndRestart(killed, window);

            // the lanes are checked side by side: each waits for its guest's heartbeats
            List<CompletableFuture<Row>> checks = new ArrayList<>();
            for (Lane lane : Lane.values()) {
                checks.add(CompletableFuture.supplyAsync(() ->
                        check(killed, window, lane, ids.get(lane), guests.get(lane), atKill.get(lane), killedAt)));
            }
            for (CompletableFuture<Row> c : checks) {
                Row row = c.join();
                ROWS.add(row);
                if (!row.verdict().equals("ok")) {
                    failures.add(row.lane() + " (" + row.migrationId() + "): " + row.verdict() + "\n  events: "
                            + events.of(row.migrationId()));
                }
            }
        } finally {
            for (TestGuest g : guests.values()) {
                g.remove(hostA);
                g.remove(hostB);
            }
            if (incoming != null) {
                incoming.close();
            }
        }
        assertThat(failures).as("cells of %s killed %s", killed, window).isEmpty();
    }

    /** One lane's verdict: the outcome docs allow, the guest on exactly one host and intact, its log complete. */
    static Row check(
            Component killed, Window window, Lane lane, String id, TestGuest guest, Phase atKill, Instant killedAt) {
        MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(4));
        String outcome = last.getPhase()
                + (last.getReason() == null ? "" : " " + last.getReason().getCode());
        Set<String> allowed = allowed(killed, lane, atKill);
        List<String> wrong = new ArrayList<>();
        if (allowed.stream().noneMatch(outcome::startsWith)) {
            wrong.add("ended " + outcome + " where docs/crash-matrix.md allows " + allowed);
        }
        wrong.addAll(whereTheGuestIs(lane, guest, last.getPhase()));
        wrong.addAll(logProblems(id));
        double seconds =
                Math.max(0, Duration.between(killedAt, last.getOccurredAt()).toMillis()) / 1000.0;
        return new Row(
                killed, window, lane, id, atKill, outcome, seconds, wrong.isEmpty() ? "ok" : String.join("; ", wrong));
    }

    /** The CLI reads the whole audit log on its own: it finds no gap or duplicate and the same events. */
    @Order(2)
    @Test
    void theClisIndependentReadOfTheAuditLogAgrees() throws Exception {
        assertThat(MIGRATIONS).isNotEmpty();
        String audit = cli("audit");
        assertThat(audit).contains("audit log complete, in order, without duplicates");
        String json = cli("events", "--json");
        Map<String, List<String>> byCli = new LinkedHashMap<>();
        for (String line : json.split("\n")) {
            if (!line.startsWith("{")) {
                continue;
            }
            var e = new io.vertx.core.json.JsonObject(line);
            if (MIGRATIONS.contains(e.getString("migrationId"))) {
                byCli.computeIfAbsent(e.getString("migrationId"), k -> new ArrayList<>())
                        .add(e.getLong("sequence") + " " + e.getString("phase"));
            }
        }
        for (String id : MIGRATIONS) {
            assertThat(byCli.get(id))
                    .as("the CLI's events of %s", id)
                    .containsExactlyElementsOf(events.of(id).stream()
                            .map(e -> e.getSequence() + " " + e.getPhase())
                            .toList());
        }
    }

    /**
     * The outcomes docs/crash-matrix.md promises for a lane whose migration was in {@code atKill} when
     * {@code killed} died (a final phase, or a final phase and its reason code).
     */
    static Set<String> allowed(Component killed, Lane lane, Phase atKill) {
        boolean beforeRunning = atKill == null || atKill.ordinal() < Phase.RUNNING.ordinal();
        boolean running = atKill == Phase.RUNNING;
        return switch (killed) {
            // a restarted coordinator resumes from its snapshots; the sources' leases outlive a quick restart
            // every record has three copies and is acknowledged by two: the clients move to another broker
            case COORDINATOR, REGISTRY, BROKER -> Set.of("SUCCEEDED");
            case SOURCE_AGENT ->
                switch (lane) {
                    // libvirt cancels a managed-direct job when its client (this agent) dies
                    case MANAGED_DIRECT ->
                        beforeRunning || running ? Set.of("SUCCEEDED", "FAILED AGENT_RESTARTED") : Set.of("SUCCEEDED");
                    // libvirtd (or QEMU, unmanaged) migrates on without its client; only a hand-off the
                    // agent had taken but not yet passed to libvirt is lost
                    default -> beforeRunning ? Set.of("SUCCEEDED", "FAILED AGENT_RESTARTED") : Set.of("SUCCEEDED");
                };
            case DESTINATION_AGENT ->
                lane == Lane.UNMANAGED || !beforeRunning
                        ? Set.of("SUCCEEDED")
                        : Set.of("SUCCEEDED", "FAILED AGENT_RESTARTED");
            // a relay that dies cuts the streams it carries: libvirt fails the job and the source keeps the
            // guest; a session asked for while it was down is not opened in time
            case SOURCE_RELAY ->
                lane != Lane.PEER_TO_PEER_TUNNELLED || !(beforeRunning || running)
                        ? Set.of("SUCCEEDED")
                        : Set.of("SUCCEEDED", "FAILED TUNNEL_FAILED", "FAILED TUNNEL_UNAVAILABLE");
        };
    }

    /** The guest runs on exactly one host, intact: the destination if and only if the migration succeeded. */
    static List<String> whereTheGuestIs(Lane lane, TestGuest g, Phase end) {
        List<String> wrong = new ArrayList<>();
        try {
            boolean onA = g.observe(hostA).map(TestGuest.Observed::active).orElse(false);
            boolean onB = lane == Lane.UNMANAGED
                    ? beatsOn(g, hostB)
                    : g.observe(hostB).map(TestGuest.Observed::active).orElse(false);
            TestHost expected = end == Phase.SUCCEEDED ? hostB : hostA;
            if (onA == onB) {
                wrong.add("the guest runs on " + (onA ? "both hosts" : "neither host"));
            } else if (onB != (expected == hostB)) {
                wrong.add("the guest runs on " + (onA ? "hostA" : "hostB") + " after " + end);
            } else if (lane == Lane.UNMANAGED && expected == hostB) {
                g.assertHeartbeatIntact(hostB);
            } else {
                g.assertRunningIntact(expected);
            }
        } catch (Exception | AssertionError e) {
            wrong.add("integrity: " + e.getMessage());
        }
        return wrong;
    }

    /** Whether the guest's heartbeat advances on a host (a guest outside libvirt, after an unmanaged migration). */
    static boolean beatsOn(TestGuest g, TestHost h) throws InterruptedException {
        int before = g.heartbeats(h).size();
        for (int i = 0; i < 30; i++) {
            TimeUnit.MILLISECONDS.sleep(200);
            if (g.heartbeats(h).size() > before) {
                return true;
            }
        }
        return false;
    }

    static List<String> logProblems(String id) {
        List<String> wrong = new ArrayList<>();
        List<MigrationEvent> log = events.of(id);
        for (int i = 0; i < log.size(); i++) {
            MigrationEvent e = log.get(i);
            if (e.getSequence() != i + 1) {
                wrong.add("event #" + e.getSequence() + " where #" + (i + 1) + " was due");
            }
            Phase previous = i == 0 ? null : log.get(i - 1).getPhase();
            if (e.getPreviousPhase() != previous) {
                wrong.add("#" + e.getSequence() + " follows " + previous + " but says " + e.getPreviousPhase());
            }
        }
        if (log.stream().filter(e -> Events.FINAL.contains(e.getPhase())).count() != 1) {
            wrong.add("not exactly one final event");
        }
        return wrong;
    }

    static boolean reached(String id, Window w) {
        return events.of(id).stream().anyMatch(e -> switch (w) {
            case BEFORE_RUNNING -> e.getPhase() == Phase.SCHEDULED;
            case EARLY_RUNNING -> e.getPhase() == Phase.RUNNING;
            case LATE_RUNNING ->
                e.getPhase() == Phase.RUNNING && e.getProgressPercent() != null && e.getProgressPercent() >= 70;
            case FINISHING -> e.getPhase() == Phase.FINISHING || e.getPhase() == Phase.CONFIRMING;
        });
    }

    static Optional<MigrationEvent> finalEvent(String id) {
        return events.of(id).stream()
                .filter(e -> Events.FINAL.contains(e.getPhase()))
                .findFirst();
    }

    /** The migration's phase at an instant: that of its last event committed by then (null before any). */
    static Phase phaseAt(String id, Instant t) {
        Phase p = null;
        for (MigrationEvent e : events.of(id)) {
            if (!e.getOccurredAt().isAfter(t)) {
                p = e.getPhase();
            }
        }
        return p;
    }

    static void killAndRestart(Component c, Window w) throws Exception {
        switch (c) {
            case COORDINATOR -> {
                coordinator.killHard();
                coordinator.restart();
            }
            case SOURCE_AGENT -> {
                agentA.kill();
                agentA.restart();
            }
            case DESTINATION_AGENT -> {
                agentB.kill();
                agentB.restart();
            }
            case SOURCE_RELAY -> {
                relayA.kill();
                relayA.start();
            }
            case REGISTRY -> {
                killPidFile(Path.of(System.getenv("VMFLOW_HOME"), "registry", "registry.pid"));
                run(Path.of("..", "ops", "stack", "up.sh").toString());
            }
            case BROKER -> {
                int node = w.ordinal() % 3 + 1; // each window another node (and so other partition leaders)
                Path kafka = Path.of(System.getenv("VMFLOW_HOME"), "kafka");
                killPidFile((node == 1 ? kafka : kafka.resolve("node-" + node)).resolve("kafka.pid"));
                run(Path.of("..", "ops", "stack", "up.sh").toString());
            }
        }
    }

    /** SIGKILL of a stack process (ops/stack/up.sh wrote its pid). */
    static void killPidFile(Path pidFile) throws Exception {
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle.of(pid).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
    }

    static String request(MigrationSpec spec) throws Exception {
        String id = "cm-" + UUID.randomUUID().toString().substring(0, 8);
        MigrationRequest r = new MigrationRequest(id, spec, "it-matrix", "it", "crash matrix", 0, Instant.now());
        producer.send(new ProducerRecord<>(
                        TopicCatalogue.MIGRATION_REQUESTS.name(),
                        id,
                        wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), r)))
                .get();
        return id;
    }

    static String cli(String... args) throws Exception {
        List<String> cmd =
                new ArrayList<>(List.of(Path.of("..", "ops", "vmflow").toString()));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s:\n%s", String.join(" ", cmd), out).isZero();
        return out;
    }

    /** The matrix as a Markdown table: cell, phase at the kill, outcome, seconds from the kill to the final event. */
    static String table() {
        StringBuilder b = new StringBuilder(
                        "| killed | window | lane | phase at kill | outcome | s to final | check |\n")
                .append("|---|---|---|---|---|---:|---|\n");
        for (Row r : ROWS) {
            b.append(String.format(
                    "| %s | %s | %s | %s | %s | %.1f | %s |%n",
                    r.killed(), r.window(), r.lane(), r.atKill(), r.outcome(), r.seconds(), r.verdict()));
        }
        return b.toString();
    }
}
