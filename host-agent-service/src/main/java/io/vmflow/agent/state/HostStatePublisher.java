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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
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
    /** One publication at a time: a snapshot taken earlier must not land after a later one. */
    private final ReentrantLock lock = new ReentrantLock();

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

    /** Publishes the host's state now (the heartbeat), waiting up to 30 s for the broker. */
    public void publish(Liveness liveness) {
        publish(liveness, Duration.ofSeconds(30));
    }

    /**
     * Publishes the host's state now because a command ended (a guest may have arrived or left): so
     * that the coordinator's inventory shows where the guest runs before anyone learns the migration
     * ended, not at the next heartbeat. Bounded: with the broker away it gives up after {@code within}
     * (the heartbeat publishes once the broker is back), so the report after it is not held longer.
     */
    public void publishChange(Duration within) {
        publish(Liveness.UP, within);
    }

    /** Waits up to {@code within} for a publication in progress, then up to as long for the broker. */
    private void publish(Liveness liveness, Duration within) {
        try {
            if (!lock.tryLock(within.toMillis(), TimeUnit.MILLISECONDS)) {
                return; // another publication holds on, the broker slow to take it: the next one follows
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            send(snapshot(liveness), within);
        } finally {
            lock.unlock();
        }
    }

    private void send(HostState s, Duration within) {
        try {
            producer.send(new ProducerRecord<>(
                            TopicCatalogue.hostState(config.hostId()).name(),
                            config.hostId(),
                            wire.encode(
                                    TopicCatalogue.hostState(config.hostId()).valueSubject(), s)))
                    .get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("cannot publish host state: {}", e.toString());
        }
    }
}
