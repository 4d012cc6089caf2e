package io.vmflow.ops.bench;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.HostState;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.Liveness;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A LOAD GENERATOR, not a test double: simulated hosts that speak vmflow's host protocol (host state
 * as heartbeat, commands in, reports out) with no hypervisor behind them, so the control plane can be
 * measured at fleet scale on one machine. Each command is answered at once, as an agent whose
 * hypervisor did the work instantly would (PERFORM and the hand-offs with a few progress reports in
 * between). The functional tests never use it: they run real agents on real libvirt hosts.
 */
final class HostSimulator implements AutoCloseable {

    private static final Pattern TOPICS =
            Pattern.compile("vmflow\\.(host|peer)-commands\\." + Pattern.quote(ControlPlaneBench.HOST_PREFIX) + ".*");

    private final WireFormat wire;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> commands;
    private final Map<String, List<String>> guests = new ConcurrentHashMap<>();
    private final int progressReports;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread loop;
    private final Thread heartbeat;
    /** When the first command of a migration reached its host (System.nanoTime). */
    final Map<String, Long> firstCommandAt = new ConcurrentHashMap<>();
    /** When the report that ends a migration was sent (System.nanoTime). */
    final Map<String, Long> finalReportAt = new ConcurrentHashMap<>();

    final AtomicLong reports = new AtomicLong();
    /** Migrations whose PERFORM or hand-off is held, not answered (to keep migrations open). */
    final Set<String> hold = ConcurrentHashMap.newKeySet();

    volatile boolean holdAll;

    HostSimulator(Endpoints endpoints, WireFormat wire, List<String> hosts, int guestsPerHost, int progressReports) {
        this.wire = wire;
        this.progressReports = progressReports;
        for (String h : hosts) {
            List<String> l = new ArrayList<>();
            for (int g = 0; g < guestsPerHost; g++) {
                l.add(h + "-g" + g);
            }
            guests.put(h, java.util.Collections.synchronizedList(l));
        }
        var p = endpoints.producer("bench-hosts");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        this.producer = new KafkaProducer<>(p);
        var c = endpoints.consumer("bench-hosts", "bench-hosts");
        c.put("metadata.max.age.ms", "2000");
        c.put("auto.offset.reset", "latest");
        this.commands = new KafkaConsumer<>(c);
        this.loop = new Thread(this::run, "simulated-hosts");
        this.heartbeat = new Thread(this::beat, "simulated-heartbeats");
    }

    List<String> guestsOn(String host) {
        synchronized (guests.get(host)) {
            return List.copyOf(guests.get(host));
        }
    }

    void start() {
        guests.keySet().forEach(this::publishState);
        producer.flush();
        commands.subscribe(TOPICS);
        loop.start();
        heartbeat.start();
    }

    /** Waits until the consumer has its partitions (every simulated host's command topics). */
    void awaitAssignment(int topics) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (assigned < topics) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException(
                        "the simulated hosts got " + assigned + " of " + topics + " command topics in 2 minutes");
            }
            Thread.sleep(200);
        }
    }

    private volatile int assigned;

    private void run() {
        while (running.get()) {
            for (ConsumerRecord<String, byte[]> r : commands.poll(Duration.ofMillis(100))) {
                HostCommand c = wire.decode(r.value(), HostCommand.class);
                firstCommandAt.putIfAbsent(c.getMigrationId(), System.nanoTime());
                answer(c);
            }
            assigned = commands.assignment().size();
        }
    }

    private void beat() {
        while (running.get()) {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                return;
            }
            guests.keySet().forEach(this::publishState);
        }
    }

    private void answer(HostCommand c) {
        String src = c.getSpec().getSourceHost();
        String dst = c.getPeerHost();
        switch (c.getType()) {
            case BEGIN ->
                send(report(c, c.getHostId(), ReportKind.COMMAND_SUCCEEDED)
                        .setDomainXml("<domain type='kvm'><name>" + c.getSpec().getGuest() + "</name></domain>"));
            case PREPARE -> {
                send(report(c, c.getHostId(), ReportKind.COMMAND_ACCEPTED));
                send(report(c, c.getHostId(), ReportKind.COMMAND_SUCCEEDED).setMigrationUri("tcp://192.0.2.1:49152"));
            }
            case PERFORM -> {
                if (held(c)) {
                    return;
                }
                send(report(c, src, ReportKind.COMMAND_ACCEPTED));
                progress(c, src);
                moved(c.getSpec().getGuest(), src, dst);
                finalReportAt.put(c.getMigrationId(), System.nanoTime());
                send(report(c, src, ReportKind.COMMAND_SUCCEEDED).setFigures(figures(100)));
            }
            case FINISH, TUNE, ABORT -> send(report(c, c.getHostId(), ReportKind.COMMAND_SUCCEEDED));
            case CONFIRM -> {
                finalReportAt.put(c.getMigrationId(), System.nanoTime());
                send(report(c, c.getHostId(), ReportKind.COMMAND_SUCCEEDED));
            }
            case HANDOFF_PEER_TO_PEER -> {
                if (held(c)) {
                    return;
                }
                // the source drives the destination itself: the destination's reports, then the source's
                send(report(c, dst, ReportKind.COMMAND_ACCEPTED).setCommandType(CommandType.PREPARE));
                send(report(c, dst, ReportKind.COMMAND_SUCCEEDED).setCommandType(CommandType.PREPARE));
                progress(c, src);
                send(report(c, dst, ReportKind.COMMAND_ACCEPTED).setCommandType(CommandType.FINISH));
                moved(c.getSpec().getGuest(), src, dst);
                finalReportAt.put(c.getMigrationId(), System.nanoTime());
                send(report(c, src, ReportKind.COMMAND_SUCCEEDED).setFigures(figures(100)));
            }
            default -> send(report(c, c.getHostId(), ReportKind.COMMAND_REFUSED));
        }
    }

    private boolean held(HostCommand c) {
        if (holdAll || hold.contains(c.getMigrationId())) {
            send(report(c, c.getHostId(), ReportKind.COMMAND_ACCEPTED));
            return true;
        }
        return false;
    }

    private void progress(HostCommand c, String host) {
        for (int i = 1; i <= progressReports; i++) {
            send(report(c, host, ReportKind.PROGRESS).setFigures(figures(100 * i / (progressReports + 1))));
        }
    }

    private void moved(String guest, String from, String to) {
        guests.get(from).remove(guest);
        if (to != null && guests.containsKey(to)) {
            guests.get(to).add(guest);
            publishState(to);
        }
        publishState(from);
    }

    private static JobFigures figures(int percent) {
        long total = 1L << 30;
        return JobFigures.newBuilder()
                .setElapsedMs((long) percent * 30)
                .setDataTotalBytes(total)
                .setDataProcessedBytes(total * percent / 100)
                .setDataRemainingBytes(total - total * percent / 100)
                .setMemoryBandwidthBytesPerSecond(1L << 28)
                .setIteration((long) (1 + percent / 50))
                .setDowntimeMs(percent == 100 ? 40L : null)
                .build();
    }

    private HostReport.Builder report(HostCommand c, String host, ReportKind kind) {
        return HostReport.newBuilder()
                .setReportId(UUID.randomUUID().toString())
                .setHostId(host)
                .setKind(kind)
                .setReportedAt(Instant.now())
                .setMigrationId(c.getMigrationId())
                .setCommandId(c.getCommandId())
                .setCommandType(c.getType())
                .setIssuer(c.getIssuer())
                .setEpoch(c.getEpoch());
    }

    private void send(HostReport.Builder b) {
        HostReport r = b.build();
        var topic = TopicCatalogue.hostReports(r.getHostId());
        producer.send(new ProducerRecord<>(topic.name(), r.getMigrationId(), wire.encode(topic.valueSubject(), r)));
        reports.incrementAndGet();
    }

    private void publishState(String host) {
        List<GuestInfo> l = guestsOn(host).stream()
                .map(g -> GuestInfo.newBuilder()
                        .setName(g)
                        .setUuid(UUID.nameUUIDFromBytes(g.getBytes()).toString())
                        .setState(GuestState.RUNNING)
                        .setPersistent(true)
                        .setMemoryBytes(1L << 30)
                        .setVcpus(1)
                        .build())
                .toList();
        HostState s = HostState.newBuilder()
                .setHostId(host)
                .setReportedAt(Instant.now())
                .setLiveness(Liveness.UP)
                .setAgentVersion("load-generator")
                .setLibvirtUri("qemu+tls://" + host + "/system")
                .setMigrationAddresses(List.of("192.0.2.1"))
                .setCpus(64)
                .setMemoryTotalBytes(512L << 30)
                .setMemoryFreeBytes(256L << 30)
                .setGuests(l)
                .build();
        var topic = TopicCatalogue.hostState(host);
        producer.send(new ProducerRecord<>(topic.name(), host, wire.encode(topic.valueSubject(), s)));
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        heartbeat.interrupt();
        loop.join(5_000);
        commands.close();
        producer.close(Duration.ofSeconds(5));
    }
}
