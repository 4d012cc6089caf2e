package io.vmflow.agent.flows;

import io.vmflow.agent.hypervisor.DomainXml;
import io.vmflow.agent.hypervisor.HostFacts;
import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.report.Outcome;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostCommand;
import io.vmflow.schemas.reasons.ReasonCode;
import java.net.URI;
import java.util.List;

/** The destination host's part of a migration (libvirt's Prepare and Finish, as checks and reports). */
public final class DestinationSide {

    private final Hypervisor hypervisor;
    private final List<String> migrationAddresses;

    public DestinationSide(Hypervisor hypervisor, List<String> migrationAddresses) {
        this.hypervisor = hypervisor;
        this.migrationAddresses = migrationAddresses;
    }

    /**
     * PREPARE: the guest fits (free memory), its CPU runs here, nothing conflicts with its name or
     * UUID; answers with the migration URI the source should use.
     */
    public Outcome prepare(HostCommand c) throws HypervisorException {
        String guest = c.getSpec().getGuest();
        DomainXml xml = c.getDomainXml() == null ? null : DomainXml.parse(c.getDomainXml());
        GuestObservation existing = hypervisor.observe(guest);
        if (existing.getState() == GuestState.RUNNING || existing.getState() == GuestState.PAUSED) {
            throw new HypervisorException(
                    ReasonCode.GUEST_ALREADY_ON_DESTINATION,
                    "guest '" + guest + "' is already " + existing.getState() + " on the destination");
        }
        if (xml != null
                && existing.getUuid() != null
                && xml.uuid() != null
                && !existing.getUuid().equalsIgnoreCase(xml.uuid())) {
            throw new HypervisorException(
                    ReasonCode.NAME_CONFLICT,
                    "the destination already defines a guest named '"
                            + guest + "' with UUID " + existing.getUuid() + ", not " + xml.uuid()
                            + "; rename or undefine it first");
        }
        HostFacts facts = hypervisor.facts();
        if (xml != null && xml.memoryBytes() > facts.memoryFreeBytes()) {
            throw new HypervisorException(
                    ReasonCode.INSUFFICIENT_MEMORY,
                    "guest needs " + (xml.memoryBytes() >> 20) + " MiB, the destination has "
                            + (facts.memoryFreeBytes() >> 20) + " MiB free");
        }
        // a TCG guest ('qemu') emulates its CPU; only a guest on the host CPU needs the host to fit it
        if (xml != null && xml.usesHostCpu() && !hypervisor.cpuCompatible(xml.cpuXml())) {
            throw new HypervisorException(
                    ReasonCode.CPU_INCOMPATIBLE, "the guest's CPU definition cannot run on " + facts.cpuModel());
        }
        Outcome o = Outcome.succeeded()
                .migrationUri(c.getMigrationUri() != null ? c.getMigrationUri() : "tcp://" + listenAddress());
        if (existing.getUuid() != null) {
            o.detail("destinationConfig", "present (kept)");
        }
        return o;
    }

    /** FINISH: the guest runs here (for a live migration) and its persistence is reported. */
    public Outcome finish(HostCommand c) throws HypervisorException {
        GuestObservation g = hypervisor.observe(c.getSpec().getGuest());
        boolean expectRunning = c.getSpec().getLive();
        if (expectRunning && g.getState() != GuestState.RUNNING) {
            throw new HypervisorException(
                    ReasonCode.MIGRATION_FAILED,
                    "guest '" + g.getName() + "' is " + g.getState() + " on the destination, expected RUNNING");
        }
        if (!expectRunning && g.getUuid() == null) {
            throw new HypervisorException(
                    ReasonCode.MIGRATION_FAILED,
                    "guest '" + g.getName() + "' is not defined on the destination after an offline migration");
        }
        return Outcome.succeeded().guest(g).detail("persistent", Boolean.toString(g.getPersistent()));
    }

    private String listenAddress() {
        if (!migrationAddresses.isEmpty()) {
            return migrationAddresses.get(0);
        }
        String host = URI.create(hypervisor.uri()).getHost();
        return host == null ? "127.0.0.1" : host;
    }
}
