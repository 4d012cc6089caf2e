package io.vmflow.agent.state;

import io.vmflow.agent.config.AgentConfig;
import io.vmflow.agent.hypervisor.HostFacts;
import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.management.AgentMetrics;
import io.vmflow.avro.HostState;
import io.vmflow.avro.Liveness;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this host's state (inventory, capacity, addresses, liveness) to the compacted host-state
 * topic; each publication is also the agent's heartbeat. A libvirtd that cannot be reached is
 * reported as such (no guests, liveness still UP: the agent is alive, its hypervisor is not).
 */
public final class HostStatePublisher {

    private static final Logger LOG = LoggerFactory.getLogger(HostStatePublisher.class);
    public static final String AGENT_VERSION = "0.1.0";

    private final AgentConfig config;
    private final Hypervisor hypervisor;
    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    private final IntSupplier runningMigrations;
    private final AgentMetrics metrics;

    public HostStatePublisher(
            AgentConfig config,
            Hypervisor hypervisor,
            Producer<String, byte[]> producer,
            WireFormat wire,
            IntSupplier runningMigrations,
            AgentMetrics metrics) {
        this.metrics = metrics;
        this.config = config;
        this.hypervisor = hypervisor;
        this.producer = producer;
        this.wire = wire;
        this.runningMigrations = runningMigrations;
    }

    public HostState snapshot(Liveness liveness) {
        HostState.Builder b = HostState.newBuilder()
                .setHostId(config.hostId())
                .setReportedAt(Instant.now())
                .setLiveness(liveness)
                .setAgentVersion(AGENT_VERSION)
                .setLibvirtUri(config.libvirtUri())
                .setMigrationAddresses(config.migrationAddresses())
                .setMigrationPortMin(config.portMin())
                .setMigrationPortMax(config.portMax())
                .setRelayEndpoint(config.relayEndpoint())
                .setRunningMigrations(runningMigrations.getAsInt());
        try {
            HostFacts f = hypervisor.facts();
            b.setCpuModel(f.cpuModel())
                    .setCpuArch(f.cpuArch())
                    .setCpus(f.cpus())
                    .setMemoryTotalBytes(f.memoryTotalBytes())
                    .setMemoryFreeBytes(f.memoryFreeBytes())
                    .setLibvirtVersion(f.libvirtVersion())
                    .setGuests(hypervisor.guests());
            metrics.libvirtUp(true);
        } catch (HypervisorException e) {
            LOG.warn("host state without hypervisor facts: {}", e.getMessage());
            metrics.libvirtUp(false);
            b.setGuests(List.of());
        }
        return b.build();
    }

    public void publish(Liveness liveness) {
        HostState s = snapshot(liveness);
        try {
            producer.send(new ProducerRecord<>(
                            TopicCatalogue.hostState(config.hostId()).name(),
                            config.hostId(),
                            wire.encode(
                                    TopicCatalogue.hostState(config.hostId()).valueSubject(), s)))
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("cannot publish host state: {}", e.toString());
        }
    }
}
