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

    /** When: the first event of the lane the kill is aimed at that shows the window's phase. */
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
        /** Through the vmflow relays. */
        PEER_TO_PEER_TUNNELLED(ControlFlow.MANAGED_PEER_TO_PEER, Transport.TUNNELLED),
        /** The seed's scenario 6: libvirt's own tunnel, the destination named by its libvirt URI. */
        LIBVIRT_TUNNELLED(ControlFlow.MANAGED_PEER_TO_PEER, Transport.TUNNELLED);

        final ControlFlow flow;
        final Transport transport;

        Lane(ControlFlow flow, Transport transport) {
            this.flow = flow;
            this.transport = transport;
        }

        /**
         * The lanes a component takes part in: a relay carries only the vmflow-tunnelled stream, and no
         * destination agent takes part in an unmanaged migration or in one to a host named by its libvirt
         * URI; its kill there cannot matter, so those cells are not run (docs/crash-matrix.md says so).
         */
        static List<Lane> touchedBy(Component c) {
            return Stream.of(values())
                    .filter(l -> switch (c) {
                        case SOURCE_RELAY -> l == PEER_TO_PEER_TUNNELLED;
                        case DESTINATION_AGENT -> l != UNMANAGED && l != LIBVIRT_TUNNELLED;
                        default -> true;
                    })
                    .toList();
        }

        MigrationSpec spec(String guest, int unmanagedPort) {
            MigrationSpec.Builder spec = MigrationSpec.newBuilder()
                    .setGuest(guest)
                    .setSourceHost("hostA")
                    .setControlFlow(flow)
                    .setTransport(transport)
                    .setBandwidthMiBps(BANDWIDTH_MIBPS);
            switch (this) {
                case UNMANAGED -> spec.setMigrationUri("tcp://" + hostB.migrationAddress() + ":" + unmanagedPort);
                case LIBVIRT_TUNNELLED -> spec.setDestinationUri(hostB.libvirtUri());
                default -> spec.setDestinationHost("hostB");
            }
            return spec.build();
        }
    }

    /** One cell's result. */
    record Row(
            Component killed,
            Window window,
            Lane lane,
            String migrationId,
            Phase atKill,
            boolean switchover,
            List<Phase> laterKills,
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
    /** One connection to the source's libvirtd, polled for the switchover. */
    static org.libvirt.Connect sourceLibvirt;

    @BeforeAll
    static void start() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        hostA = TestHost.load("hostA");
        hostB = TestHost.load("hostB");
        Path pki = RelayProcess.devPki(Path.of(".."), "hostA", "hostB");
        relayA = RelayProcess.forTestHost(hostA, pki).start();
        relayB = RelayProcess.forTestHost(hostB, pki).start();
        agentA = AgentProcess.start(AgentHarness.environment(hostA, agentEnv(relayA, pki)));
        agentB = AgentProcess.start(AgentHarness.environment(hostB, agentEnv(relayB, pki)));
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", endpoints.bootstrapServers());
        env.put("SCHEMA_REGISTRY_URL", endpoints.registryUrl());
        env.put("VMFLOW_COORDINATOR_ID", "it-matrix");
        env.put("VMFLOW_COORDINATOR_HTTP", "127.0.0.1:0");
        env.put("VMFLOW_COORDINATOR_MANAGEMENT", "127.0.0.1:0");
        // the lanes of a round overlap (the default admits two per host): none may wait in the queue
        env.put("VMFLOW_COORDINATOR_OUTBOUND_LIMIT", String.valueOf(Lane.values().length));
        env.put("VMFLOW_COORDINATOR_INBOUND_LIMIT", String.valueOf(Lane.values().length));
        coordinator = CoordinatorProcess.start(env);
        wire = new WireFormat(endpoints.registry());
        events = new Events(endpoints, wire);
        producer = new KafkaProducer<>(endpoints.producer("it-matrix-requests"));
        sourceLibvirt = new org.libvirt.Connect(hostA.adminUri());
    }

    /** The relay's settings, and a host state every second: each round waits for its new guests to be seen. */
    static Map<String, String> agentEnv(RelayProcess relay, Path pki) {
        Map<String, String> env = new HashMap<>(relay.agentEnv(pki));
        env.put("VMFLOW_AGENT_STATE_INTERVAL_MS", "1000");
        return env;
    }

    @AfterAll
    static void stop() throws Exception {
        String table = table();
        System.out.println(table);
        Files.writeString(Path.of("target", "crash-matrix.md"), table);
        producer.close();
        sourceLibvirt.close();
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
        List<Lane> lanes = Lane.touchedBy(killed);
        try {
            for (Lane lane : lanes) {
                TestGuest g = new TestGuest(
                        "cm-" + lane.name().toLowerCase().replace('_', '-') + "-" + tag, GUEST_MIB, "ws=2 paced");
                g.start(hostA, false);
                guests.put(lane, g);
            }
            int port = 49180 + (int) (Math.random() * 30); // inside the host's migration port range
            if (lanes.contains(Lane.UNMANAGED)) {
                incoming = IncomingQemu.start(hostB, guests.get(Lane.UNMANAGED).xml(), port);
                IncomingQemu listening = incoming;
                await().atMost(Duration.ofSeconds(30)).until(listening::listening);
            }
            coordinator.awaitGuests(
                    "hostA", guests.values().stream().map(TestGuest::name).toList());

            // one lane after another, each killed in its own window: a lane starts once the kill aimed
            // at the one before it is over, so the kill aimed at it is the first it sees. Lanes still
            // running take the later kills too (in later phases), and must end as every one of them allows.
            Map<Lane, String> ids = new EnumMap<>(Lane.class);
            Map<Lane, Instant> aimedAt = new EnumMap<>(Lane.class);
            Map<Lane, List<Phase>> kills = new EnumMap<>(Lane.class);
            Map<Lane, Boolean> atSwitchover = new java.util.concurrent.ConcurrentHashMap<>();
            for (Lane lane : lanes) {
                String guest = guests.get(lane).name();
                String id = request(lane.spec(guest, port));
                ids.put(lane, id);
                kills.put(lane, new ArrayList<>());
                MIGRATIONS.add(id);
                await(lane + " reaching " + window)
                        .atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> {
                            if (window == Window.FINISHING && switchingOver(lane, guest)) {
                                atSwitchover.put(lane, true);
                                return true;
                            }
                            return reached(id, window) || finalEvent(id).isPresent();
                        });
                Instant at = Instant.now();
                atSwitchover.putIfAbsent(lane, false);
                aimedAt.put(lane, at);
                ids.forEach((l, other) -> {
                    Phase p = phaseAt(other, at);
                    if (l == lane || !Events.FINAL.contains(p)) {
                        kills.get(l).add(p);
                    }
                });
                killAndRestart(killed, window);
            }

            // the lanes are checked side by side: each waits for its guest's heartbeats
            List<CompletableFuture<Row>> checks = new ArrayList<>();
            for (Lane lane : lanes) {
                checks.add(CompletableFuture.supplyAsync(() -> check(
                        killed,
                        window,
                        lane,
                        ids.get(lane),
                        guests.get(lane),
                        kills.get(lane),
                        atSwitchover.get(lane),
                        aimedAt.get(lane))));
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

    /**
     * One lane's verdict: the outcome docs allow for every kill it lived through (the first aimed at it,
     * then those aimed at the lanes after it), the guest on exactly one host and intact, its log complete.
     */
    static Row check(
            Component killed,
            Window window,
            Lane lane,
            String id,
            TestGuest guest,
            List<Phase> kills,
            boolean switchover,
            Instant aimedAt) {
        MigrationEvent last = events.awaitFinal(id, Duration.ofMinutes(4));
        String outcome = last.getPhase()
                + (last.getReason() == null ? "" : " " + last.getReason().getCode());
        List<String> wrong = new ArrayList<>();
        for (Phase p : kills) {
            Set<String> allowed = allowed(killed, lane, p);
            if (allowed.stream().noneMatch(outcome::startsWith)) {
                wrong.add("ended " + outcome + " where docs/crash-matrix.md allows " + allowed + " for a kill in " + p);
            }
        }
        wrong.addAll(whereTheGuestIs(lane, guest, last.getPhase()));
        wrong.addAll(logProblems(id));
        double seconds =
                Math.max(0, Duration.between(aimedAt, last.getOccurredAt()).toMillis()) / 1000.0;
        return new Row(
                killed,
                window,
                lane,
                id,
                kills.get(0),
                switchover,
                kills.subList(1, kills.size()),
                outcome,
                seconds,
                wrong.isEmpty() ? "ok" : String.join("; ", wrong));
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
                // unmanaged, and libvirt's tunnel to a host named by its URI: the destination agent takes no part
                lane == Lane.UNMANAGED || lane == Lane.LIBVIRT_TUNNELLED || !beforeRunning
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

    /**
     * Whether libvirt is finishing a peer-to-peer migration on its own: the guest is paused on the source
     * for the switchover (vmflow has no event for that moment: the destination's FINISH follows within
     * milliseconds, and a migration to a host named by its URI has no destination agent to report one).
     */
    static boolean switchingOver(Lane lane, String guest) {
        if (lane.flow != ControlFlow.MANAGED_PEER_TO_PEER) {
            return false;
        }
        try {
            return sourceLibvirt.domainLookupByName(guest).getInfo().state
                    == org.libvirt.DomainInfo.DomainState.VIR_DOMAIN_PAUSED;
        } catch (org.libvirt.LibvirtException e) {
            return false; // gone from the source: it ended
        }
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
                // settled: it has read its partitions to their end, so its first lease is written; a kill
                // before that would be a second crash inside one lease period, which ends a managed-direct
                // migration by design (ABORTED LEASE_LAPSED), not the single crash this cell tests
                await("the restarted coordinator catching up")
                        .atMost(Duration.ofMinutes(2))
                        .until(() -> coordinator.log().contains("caught up with every report"));
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

    /**
     * The matrix as a Markdown table: cell, phase at the kill aimed at the lane, phases at the later kills
     * it lived through, outcome, seconds from the aimed kill to the final event.
     */
    static String table() {
        StringBuilder b = new StringBuilder(
                        "| killed | window | lane | phase at kill | later kills | outcome | s to final | check |\n")
                .append("|---|---|---|---|---|---|---:|---|\n");
        for (Row r : ROWS) {
            String later = r.laterKills().isEmpty()
                    ? "-"
                    : String.join(
                            ", ", r.laterKills().stream().map(String::valueOf).toList());
            b.append(String.format(
                    "| %s | %s | %s | %s | %s | %s | %.1f | %s |%n",
                    r.killed(),
                    r.window(),
                    r.lane(),
                    r.atKill() + (r.switchover() ? " (source paused: switchover)" : ""),
                    later,
                    r.outcome(),
                    r.seconds(),
                    r.verdict()));
        }
        return b.toString();
    }
}
