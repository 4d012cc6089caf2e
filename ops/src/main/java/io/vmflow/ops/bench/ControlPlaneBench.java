package io.vmflow.ops.bench;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Phase;
import io.vmflow.avro.Transport;
import io.vmflow.ops.setup.SchemaSetup;
import io.vmflow.ops.setup.TopicSetup;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The control plane at fleet scale: a real coordinator (its own process) against simulated hosts
 * ({@link HostSimulator}, a load generator), on a real broker and registry. Prints phase transitions
 * per second, latencies, the coordinator's heap and RSS with many open migrations, its recovery time
 * after kill -9, and, on the same broker in the same run, the ceiling: Kafka's own transactional
 * consume-transform-produce with the same record sizes ({@link RawKafkaCeiling}). A program that
 * prints figures, not a test: ops/bench/control-plane.sh runs it on a private stack.
 */
public final class ControlPlaneBench {

    static final String HOST_PREFIX = "sim-";
    private static final Set<Phase> FINAL =
            EnumSet.of(Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.REJECTED, Phase.GUEST_LEFT_PAUSED);

    private final Endpoints endpoints;
    private final WireFormat wire;
    private final List<String> hosts;
    private final Map<String, Long> requestedAt = new ConcurrentHashMap<>();
    private final Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    private final Map<String, Long> endedAt = new ConcurrentHashMap<>();
    private final Map<String, String> endedAs = new ConcurrentHashMap<>();
    private final AtomicLong events = new AtomicLong();

    private final int concurrency;

    private ControlPlaneBench(Endpoints endpoints, int hostCount, int concurrency) {
        this.concurrency = concurrency;
        this.endpoints = endpoints;
        this.wire = new WireFormat(endpoints.registry());
        this.hosts = new ArrayList<>();
        for (int i = 1; i <= hostCount; i++) {
            hosts.add(String.format("%s%04d", HOST_PREFIX, i));
        }
    }

    public static void main(String[] args) throws Exception {
        int hostCount = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int migrations = args.length > 1 ? Integer.parseInt(args[1]) : 6000;
        int open = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 3 * hostCount;
        new ControlPlaneBench(Endpoints.fromEnvironment(), hostCount, concurrency).run(migrations, open);
        System.exit(0);
    }

    private void run(int migrations, int openMost) throws Exception {
        // enough guests for every open migration to be of a guest of its own
        int guestsPerHost = Math.max(2, (int) Math.ceil(openMost * 1.25 / hosts.size()));
        say(
                "%d simulated hosts (load generator), %d guests each; %d migrations, %d at a time, then up to %d"
                        + " open",
                hosts.size(), guestsPerHost, migrations, concurrency, openMost);
        List<Topic> topics = TopicCatalogue.all(hosts);
        try (Admin admin = Admin.create(endpoints.admin())) {
            new TopicSetup(admin).ensure(topics);
        }
        new SchemaSetup(endpoints.registry()).run(topics, true);
        try (CoordinatorUnderTest coordinator = CoordinatorUnderTest.start();
                HostSimulator sim = new HostSimulator(endpoints, wire, hosts, guestsPerHost, 3);
                KafkaProducer<String, byte[]> requests = new KafkaProducer<>(endpoints.producer("bench-requests"));
                KafkaConsumer<String, byte[]> audit = new KafkaConsumer<>(endpoints.consumer(null, "bench-audit"))) {
            sim.start();
            sim.awaitAssignment(2 * hosts.size());
            Thread reader = follow(audit);
            try {
                measure(coordinator, sim, requests, migrations, openMost);
            } finally {
                reading = false;
                audit.wakeup();
                reader.join(10_000);
            }
        }
    }

    private volatile boolean reading = true;

    private void measure(
            CoordinatorUnderTest coordinator,
            HostSimulator sim,
            KafkaProducer<String, byte[]> requests,
            int migrations,
            int openMost)
            throws Exception {
        say("coordinator pid %d ready; warming up", coordinator.pid());
        drive(sim, requests, 300, concurrency, 0);
        forget(sim);

        long e0 = events.get();
        double cpu0 = coordinator.cpuSeconds();
        long t0 = System.nanoTime();
        drive(sim, requests, migrations, concurrency, 0);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long transitions = events.get() - e0;
        double cpu = coordinator.cpuSeconds() - cpu0;
        double rate = transitions / seconds;
        say(
                "throughput: %d migrations (half peer-to-peer, half managed direct) in %.1f s: %.0f phase"
                        + " transitions/s, %.0f migrations/s",
                migrations, seconds, rate, migrations / seconds);
        say(
                "coordinator CPU %.1f s over those %.1f s (%.2f cores): %.0f CPU-ms per 1,000 transitions",
                cpu, seconds, cpu / seconds, cpu * 1e6 / transitions);
        latencies(sim, "at full load");
        say("how they ended: %s", endings(requestedAt.keySet()));

        // latency where it is an objective, below saturation: the same mix, started at a tenth of the rate
        // just sustained (an open loop: a start does not wait for an end)
        double perSecond = Math.max(1, migrations / seconds / 10);
        forget(sim);
        drive(sim, requests, (int) Math.max(50, perSecond * 20), concurrency, perSecond);
        latencies(sim, String.format("at a tenth of that rate (%.0f migrations started a second)", perSecond));
        coordinator.dumpRecording("");

        // always as many inputs, so that the ceiling of two runs had the same time to warm up
        double ceiling = RawKafkaCeiling.measure(endpoints, 50_000);
        say(
                "ceiling: Kafka's transactional consume-transform-produce, same sizes: %.0f records/s;"
                        + " vmflow / ceiling = %.2f",
                ceiling, rate / ceiling);

        // open migrations: the hosts hold every PERFORM and hand-off from now on
        requestedAt.clear();
        sim.holdAll = true;
        int sent = 0;
        for (int target : new int[] {1_000, openMost}) {
            if (target > openMost || target <= sent) {
                continue;
            }
            sent += hold(sim, requests, target - sent);
            coordinator.gc();
            say("the held requests so far: %s", endings(requestedAt.keySet()));
            say(
                    "open %6d (%d requested): heap %s, RSS %s",
                    open(), target, mib(coordinator.heapUsed()), mib(coordinator.rss()));
        }
        long killed = System.nanoTime();
        coordinator.killAndRestart();
        double ready = (System.nanoTime() - killed) / 1e9;
        long accepted = acceptedAfter(sim, requests);
        say(
                "recovery with %d open: kill -9 to /ready %.1f s, to a new request ACCEPTED %.1f s",
                sent, ready, (accepted - killed) / 1e9);
        coordinator.gc();
        say("after recovery: heap %s, RSS %s", mib(coordinator.heapUsed()), mib(coordinator.rss()));
        coordinator.dumpRecording("restart");
    }

    private void forget(HostSimulator sim) {
        requestedAt.clear();
        acceptedAt.clear();
        endedAt.clear();
        sim.firstCommandAt.clear();
        sim.finalReportAt.clear();
    }

    private void latencies(HostSimulator sim, String when) {
        say("latency %s:", when);
        say("  request -> ACCEPTED       %s", Stats.of(between(requestedAt, acceptedAt)));
        say("  request -> first command  %s", Stats.of(between(requestedAt, sim.firstCommandAt)));
        say("  final report -> its event %s", Stats.of(between(sim.finalReportAt, endedAt)));
    }

    /**
     * Runs {@code count} migrations, at most {@code inFlight} at a time: a closed loop (one ends, the
     * next starts) when {@code perSecond} is 0, else started {@code perSecond} a second.
     */
    private void drive(
            HostSimulator sim, KafkaProducer<String, byte[]> requests, int count, int inFlight, double perSecond)
            throws InterruptedException {
        Semaphore slots = new Semaphore(inFlight);
        Random random = new Random(7);
        int n = 0;
        Set<String> busy = ConcurrentHashMap.newKeySet();
        List<String> pending = new ArrayList<>();
        long start = System.nanoTime();
        while (n < count) {
            if (perSecond > 0) {
                long due = start + (long) (n * 1e9 / perSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            slots.acquire();
            String[] pick = pick(sim, random, busy);
            if (pick == null) {
                slots.release();
                Thread.sleep(5);
                continue;
            }
            String id = "bench-" + System.nanoTime();
            busy.add(pick[1]);
            request(requests, id, pick, n % 2 == 0 ? ControlFlow.MANAGED_PEER_TO_PEER : ControlFlow.MANAGED_DIRECT);
            pending.add(id);
            n++;
            waiter(id, () -> {
                busy.remove(pick[1]);
                slots.release();
            });
        }
        await(pending);
    }

    /** A guest not migrating, on a host, and another host: {source, guest, destination}. */
    private String[] pick(HostSimulator sim, Random random, Set<String> busy) {
        for (int tries = 0; tries < 20; tries++) {
            String source = hosts.get(random.nextInt(hosts.size()));
            List<String> guests = sim.guestsOn(source);
            if (guests.isEmpty()) {
                continue;
            }
            String guest = guests.get(random.nextInt(guests.size()));
            if (busy.contains(guest)) {
                continue;
            }
            String destination =
                    hosts.get((hosts.indexOf(source) + 1 + random.nextInt(hosts.size() - 1)) % hosts.size());
            return new String[] {source, guest, destination};
        }
        return null;
    }

    private void request(KafkaProducer<String, byte[]> requests, String id, String[] pick, ControlFlow flow) {
        MigrationSpec spec = MigrationSpec.newBuilder()
                .setGuest(pick[1])
                .setSourceHost(pick[0])
                .setDestinationHost(pick[2])
                .setControlFlow(flow)
                .setTransport(Transport.NATIVE)
                .build();
        MigrationRequest r = new MigrationRequest(id, spec, "bench", "control-plane-bench", null, 0, Instant.now());
        requestedAt.put(id, System.nanoTime());
        requests.send(new ProducerRecord<>(
                TopicCatalogue.MIGRATION_REQUESTS.name(),
                id,
                wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), r)));
    }

    private final Map<String, Runnable> onEnd = new ConcurrentHashMap<>();

    private void waiter(String id, Runnable then) {
        onEnd.put(id, then);
        if (endedAt.containsKey(id) && onEnd.remove(id) != null) {
            then.run();
        }
    }

    private void await(List<String> ids) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        for (String id : ids) {
            while (!endedAt.containsKey(id)) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException(id + " did not end in 10 minutes");
                }
                Thread.sleep(10);
            }
        }
    }

    /** The guests held open so far (one open migration each). */
    private final Set<String> held = new java.util.HashSet<>();

    /** Sends {@code count} requests whose migrations the hosts hold open, each of a guest of its own. */
    private int hold(HostSimulator sim, KafkaProducer<String, byte[]> requests, int count) throws InterruptedException {
        Random random = new Random(11);
        List<String[]> free = new ArrayList<>();
        for (int h = 0; h < hosts.size(); h++) {
            for (String guest : sim.guestsOn(hosts.get(h))) {
                if (!held.contains(guest)) {
                    free.add(new String[] {
                        hosts.get(h), guest, hosts.get((h + 1 + random.nextInt(hosts.size() - 1)) % hosts.size())
                    });
                }
            }
        }
        java.util.Collections.shuffle(free, random);
        List<String> ids = new ArrayList<>();
        int n = Math.min(count, free.size());
        for (int i = 0; i < n; i++) {
            String[] pick = free.get(i);
            held.add(pick[1]);
            String id = "bench-open-" + held.size();
            request(requests, id, pick, i % 2 == 0 ? ControlFlow.MANAGED_PEER_TO_PEER : ControlFlow.MANAGED_DIRECT);
            ids.add(id);
        }
        requests.flush();
        long until = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        for (String id : ids) {
            while (!acceptedAt.containsKey(id) && !endedAt.containsKey(id)) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException(id + " not answered in 10 minutes");
                }
                Thread.sleep(10);
            }
        }
        return n;
    }

    /** How these migrations ended, counted by phase and reason code. */
    private String endings(Set<String> ids) {
        Map<String, Long> count = new java.util.TreeMap<>();
        ids.forEach(id -> count.merge(endedAs.getOrDefault(id, "open"), 1L, Long::sum));
        return count.toString();
    }

    /** Migrations accepted and not ended, as the audit log says. */
    private long open() {
        return acceptedAt.keySet().stream()
                .filter(id -> !endedAt.containsKey(id))
                .count();
    }

    private long acceptedAfter(HostSimulator sim, KafkaProducer<String, byte[]> requests) throws InterruptedException {
        String[] pick = pick(sim, new Random(), Set.of());
        String id = "bench-after-" + System.nanoTime();
        request(requests, id, pick, ControlFlow.MANAGED_PEER_TO_PEER);
        requests.flush();
        while (!acceptedAt.containsKey(id) && !endedAt.containsKey(id)) {
            Thread.sleep(5);
        }
        return acceptedAt.getOrDefault(id, endedAt.get(id));
    }

    /** Reads the audit log from its end, noting each migration's ACCEPTED and final event. */
    private Thread follow(KafkaConsumer<String, byte[]> audit) {
        String topic = TopicCatalogue.MIGRATION_EVENTS.name();
        List<TopicPartition> tps = audit.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        audit.assign(tps);
        audit.seekToEnd(tps);
        tps.forEach(audit::position);
        Thread t = new Thread(
                () -> {
                    while (reading) {
                        org.apache.kafka.clients.consumer.ConsumerRecords<String, byte[]> records;
                        try {
                            records = audit.poll(Duration.ofMillis(50));
                        } catch (org.apache.kafka.common.errors.WakeupException e) {
                            return;
                        }
                        for (ConsumerRecord<String, byte[]> r : records) {
                            long now = System.nanoTime();
                            MigrationEvent e = wire.decode(r.value(), MigrationEvent.class);
                            events.incrementAndGet();
                            if (e.getPhase() == Phase.ACCEPTED) {
                                acceptedAt.putIfAbsent(e.getMigrationId(), now);
                            }
                            if (FINAL.contains(e.getPhase())) {
                                endedAt.putIfAbsent(e.getMigrationId(), now);
                                endedAs.put(
                                        e.getMigrationId(),
                                        e.getPhase()
                                                + (e.getReason() == null
                                                        ? ""
                                                        : " " + e.getReason().getCode()));
                                Runnable then = onEnd.remove(e.getMigrationId());
                                if (then != null) {
                                    then.run();
                                }
                            }
                        }
                    }
                },
                "bench-audit");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static List<Double> between(Map<String, Long> from, Map<String, Long> to) {
        List<Double> ms = new ArrayList<>();
        from.forEach((id, start) -> {
            Long end = to.get(id);
            if (end != null && end >= start) {
                ms.add((end - start) / 1e6);
            }
        });
        return ms;
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "?" : String.format("%d MiB", bytes >> 20);
    }

    static void say(String format, Object... args) {
        System.out.printf("[control-plane] " + format + "%n", args);
    }
}
