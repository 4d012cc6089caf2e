package io.vmflow.ops.cli;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.HostState;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.ReportKind;
import io.vmflow.avro.Transport;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Publishes one host command, as the coordinator would, and follows the agents' reports about it:
 * the way to drive agents by hand (or before the coordinator exists). Libvirt URIs of the hosts are
 * taken from their published host state unless given.
 */
@Command(
        name = "command",
        mixinStandardHelpOptions = true,
        description = "Send one command to a host agent through Kafka and print the agents' reports about it.")
final class CommandCommand implements Callable<Integer> {

    @Option(names = "--host", required = true, description = "The agent that must act (its command topic).")
    String host;

    @Option(
            names = "--type",
            required = true,
            description = "BEGIN, PREPARE, PERFORM, FINISH, CONFIRM, ABORT, HANDOFF_PEER_TO_PEER, HANDOFF_UNMANAGED.")
    CommandType type;

    @Mixin
    SpecOptions options;

    @Option(names = "--source", description = "Source host id (default: --host).")
    String source;

    @Option(
            names = "--peer",
            description = "The other vmflow host of the migration (p2p: the destination agent to drive).")
    String peer;

    @Option(names = "--migration-id", description = "Default: a new id.")
    String migrationId;

    @Option(names = "--epoch", defaultValue = "0", description = "Fencing epoch (default ${DEFAULT-VALUE}).")
    long epoch;

    @Option(names = "--no-wait", description = "Send and return without following the reports.")
    boolean noWait;

    /** The command's spec, as the flags describe it (the transport of a hand-driven command is native). */
    MigrationSpec spec() {
        return options.spec(source != null ? source : host)
                .setTransport(Transport.NATIVE)
                .build();
    }

    @Override
    public Integer call() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        String id = migrationId != null
                ? migrationId
                : "cli-" + UUID.randomUUID().toString().substring(0, 8);
        MigrationSpec spec = spec();
        if (spec.getDestinationUri() == null && spec.getDestinationHost() != null) {
            HostState d = HostLookup.all(endpoints, wire).get(spec.getDestinationHost());
            if (d == null) {
                System.err.println("no host state for '" + spec.getDestinationHost() + "' on "
                        + TopicCatalogue.hostState(spec.getDestinationHost()).name()
                        + ": is its agent running? (or give --destination-uri)");
                return 2;
            }
            spec.setDestinationUri(d.getLibvirtUri());
        }
        HostCommand c = HostCommand.newBuilder()
                .setCommandId(id + ":" + type.name().toLowerCase() + ":" + host)
                .setMigrationId(id)
                .setHostId(host)
                .setType(type)
                .setEpoch(epoch)
                .setIssuer("cli:" + System.getProperty("user.name"))
                .setIssuedAt(Instant.now())
                .setSpec(spec)
                .setPeerHost(peer)
                .setMigrationUri(spec.getMigrationUri())
                .build();

        try (KafkaConsumer<String, byte[]> reports =
                        new KafkaConsumer<>(endpoints.consumer(null, "vmflow-cli-reports"));
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(endpoints.producer("vmflow-cli"))) {
            // the answer comes on the host's own report topic (the peer's too, for a peer-to-peer hand-off)
            List<TopicPartition> tps = TopicTail.partitions(
                    endpoints, "vmflow-cli-reports", TopicCatalogue.everyHost(TopicCatalogue.HOST_REPORTS_TEMPLATE));
            reports.assign(tps);
            reports.seekToEnd(tps);
            tps.forEach(reports::position);
            Topic commands = TopicCatalogue.hostCommands(host);
            producer.send(new ProducerRecord<>(commands.name(), id, wire.encode(commands.valueSubject(), c)))
                    .get();
            System.out.println("sent " + type + " " + c.getCommandId() + " to " + commands.name());
            if (noWait) {
                return 0;
            }
            while (true) {
                for (ConsumerRecord<String, byte[]> r : reports.poll(Duration.ofMillis(500))) {
                    HostReport report = wire.decode(r.value(), HostReport.class);
                    if (!id.equals(report.getMigrationId())) {
                        continue;
                    }
                    System.out.println(ReportLine.of(report));
                    if (c.getCommandId().equals(report.getCommandId())
                            && isFinal(report.getKind())
                            && type != CommandType.HANDOFF_UNMANAGED) {
                        return report.getKind() == ReportKind.COMMAND_SUCCEEDED ? 0 : 1;
                    }
                    if (type == CommandType.HANDOFF_UNMANAGED && report.getKind() == ReportKind.LIFECYCLE) {
                        return "completed".equals(report.getDetails().get("hypervisorMigrationStatus")) ? 0 : 1;
                    }
                    if (type == CommandType.HANDOFF_UNMANAGED
                            && report.getKind() != ReportKind.COMMAND_SUCCEEDED
                            && isFinal(report.getKind())) {
                        return 1;
                    }
                }
            }
        }
    }

    private static boolean isFinal(ReportKind k) {
        return k == ReportKind.COMMAND_SUCCEEDED || k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED;
    }
}
