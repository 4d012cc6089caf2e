package io.vmflow.agent.report;

import io.vmflow.agent.management.AgentMetrics;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.registry.RegistryUnavailableException;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes this agent's reports to the host-reports topic, keyed by migration id. */
public final class Reporter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Reporter.class);

    private final String hostId;
    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    private final AgentMetrics metrics;
    private volatile Runnable beforeOutcome = () -> {};

    public Reporter(String hostId, Producer<String, byte[]> producer, WireFormat wire, AgentMetrics metrics) {
        this.hostId = hostId;
        this.producer = producer;
        this.wire = wire;
        this.metrics = metrics;
    }

    /**
     * What runs before a report that a command ended (or that a guest changed on its own) is sent: the
     * agent publishes its host state, so a guest that moved is seen where it is before the migration's
     * end is known (a request to move it again at once then finds it there).
     */
    public void beforeOutcome(Runnable r) {
        this.beforeOutcome = r;
    }

    public String hostId() {
        return hostId;
    }

    /** A report about a command, not yet sent. */
    public HostReport about(HostCommand c, Outcome o) {
        return HostReport.newBuilder()
                .setReportId(UUID.randomUUID().toString())
                .setHostId(hostId)
                .setKind(o.kind)
                .setReportedAt(Instant.now())
                .setMigrationId(c.getMigrationId())
                .setCommandId(c.getCommandId())
                .setCommandType(c.getType())
                .setReason(o.reason)
                .setGuest(o.guest)
                .setDomainXml(o.domainXml)
                .setMigrationUri(o.migrationUri)
                .setFigures(o.figures)
                .setDetails(o.details)
                .setIssuer(c.getIssuer())
                .setEpoch(c.getEpoch())
                .build();
    }

    public HostReport accepted(HostCommand c) {
        return HostReport.newBuilder()
                .setReportId(UUID.randomUUID().toString())
                .setHostId(hostId)
                .setKind(ReportKind.COMMAND_ACCEPTED)
                .setReportedAt(Instant.now())
                .setMigrationId(c.getMigrationId())
                .setCommandId(c.getCommandId())
                .setCommandType(c.getType())
                .setIssuer(c.getIssuer())
                .setEpoch(c.getEpoch())
                .build();
    }

    public HostReport progress(HostCommand c, JobFigures f) {
        return HostReport.newBuilder()
                .setReportId(UUID.randomUUID().toString())
                .setHostId(hostId)
                .setKind(ReportKind.PROGRESS)
                .setReportedAt(Instant.now())
                .setMigrationId(c.getMigrationId())
                .setCommandId(c.getCommandId())
                .setCommandType(c.getType())
                .setFigures(f)
                .build();
    }

    /**
     * Sends a report and waits until the broker has it (reports are the agent's only memory). An
     * outage of the registry or the broker is waited out: the report is what the coordinator decides
     * from, so it is retried until stored (or the agent is stopped, which interrupts the wait).
     */
    public void send(HostReport r) {
        String key = r.getMigrationId() != null ? r.getMigrationId() : r.getHostId();
        switch (r.getKind()) {
            case COMMAND_SUCCEEDED, COMMAND_FAILED, LIFECYCLE, LEASE_LAPSED -> beforeOutcome.run();
            default -> {}
        }
        long backoffMs = 500;
        for (int attempt = 1; ; attempt++) {
            try {
                Topic topic = TopicCatalogue.hostReports(r.getHostId()); // this host's own topic
                byte[] value = wire.encode(topic.valueSubject(), r);
                producer.send(new ProducerRecord<>(topic.name(), key, value)).get(60, TimeUnit.SECONDS);
                metrics.record(r);
                if (attempt > 1) {
                    LOG.info(
                            "report {} {} for {} stored after {} attempts",
                            r.getKind(),
                            r.getCommandType(),
                            key,
                            attempt);
                }
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted sending a report", e);
            } catch (RegistryUnavailableException | ExecutionException | TimeoutException e) {
                LOG.warn(
                        "cannot store report {} {} for {} yet ({}); retrying in {} ms",
                        r.getKind(),
                        r.getCommandType(),
                        key,
                        e.getCause() == null ? e : e.getCause(),
                        backoffMs);
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting to send a report", e);
            }
            backoffMs = Math.min(backoffMs * 2, 5000);
        }
    }

    /** Sends a report without waiting (progress samples: the next one supersedes a lost one). */
    public void sendAsync(HostReport r) {
        String key = r.getMigrationId() != null ? r.getMigrationId() : r.getHostId();
        try {
            Topic topic = TopicCatalogue.hostReports(r.getHostId());
            producer.send(new ProducerRecord<>(topic.name(), key, wire.encode(topic.valueSubject(), r)));
        } catch (RegistryUnavailableException | org.apache.kafka.common.KafkaException e) {
            LOG.debug("progress sample for {} not sent: {}", key, e.toString());
        }
    }
}
