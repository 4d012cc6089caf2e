package io.vmflow.agent.hypervisor;

import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.JobFigures;
import java.time.Duration;
import java.util.List;

/**
 * The seam between the agent's flows and the local hypervisor: everything the agent asks of libvirt and
 * QEMU, by guest name (or UUID). The libvirt-java adapter implements it ({@code LibvirtHypervisor});
 * unit tests use a recording fake, and every integration test runs the adapter on real hosts. A failure
 * is a {@link HypervisorException} with the reason code the migration will carry; a guest that is not
 * on this host is {@code GUEST_NOT_FOUND} for every call that needs it.
 */
public interface Hypervisor extends AutoCloseable {

    /** This host's libvirt connection URI. */
    String uri();

    /** Whether a guest is defined or running here. */
    boolean has(String guest) throws HypervisorException;

    /** What a guest looks like now; SHUT_OFF and not persistent when it is not on this host at all. */
    GuestObservation observe(String guest) throws HypervisorException;

    /** Every guest on this host, running or only defined. */
    List<GuestInfo> guests() throws HypervisorException;

    /** CPU model, architecture, CPUs, memory and libvirt version of this host. */
    HostFacts facts() throws HypervisorException;

    /** Whether this host's CPU can run a guest CPU definition (null: nothing to check). */
    boolean cpuCompatible(String cpuXml) throws HypervisorException;

    /** The guest's domain XML as a migration sends it (libvirt's MIGRATABLE form). */
    String migratableXml(String guest) throws HypervisorException;

    /** Whether a libvirt job (a migration, among others) runs on the guest now. */
    boolean jobActive(String guest) throws HypervisorException;

    /**
     * What a guest looks like on another host's libvirt (a migration's destination), asked directly;
     * SHUT_OFF and not persistent when it is not there.
     */
    GuestObservation observeAt(String uri, String guest) throws HypervisorException;

    /** The figures of the job running on a guest now; empty when there is none or they cannot be read. */
    JobFigures jobFigures(String guest);

    /**
     * The figures of a guest's last completed job (downtime, total time, bytes), from this host or, when
     * this host no longer has them (a transient guest that left), from the host at {@code otherUri}.
     */
    JobFigures completedJobFigures(String guest, String otherUri);

    /** Managed direct: this agent holds both connections (virDomainMigrate3). Blocks until done. */
    void migrateDirect(String guest, String destinationUri, MigrationOptions o) throws HypervisorException;

    /** Peer-to-peer: libvirtd on this host talks to the destination's itself (virDomainMigrateToURI3). Blocks. */
    void migrateToUri(String guest, String destinationUri, MigrationOptions o) throws HypervisorException;

    /** Aborts the guest's running job; false when there was none. */
    boolean abortJob(String guest) throws HypervisorException;

    /** Makes sure a guest runs: resumes it when paused. Returns what it did. */
    String ensureRunning(String guest) throws HypervisorException;

    /** Sets the downtime a running migration may take at its end. */
    void setMaxDowntime(String guest, long ms) throws HypervisorException;

    void destroy(String guest) throws HypervisorException;

    void undefine(String guest) throws HypervisorException;

    /** Unmanaged direct: QEMU's own migration to a hypervisor URI; returns at once, QEMU carries on alone. */
    void startHypervisorMigration(String guest, String qemuUri) throws HypervisorException;

    /** QEMU's status of its own migration of a guest. */
    MigrationStatus hypervisorMigrationStatus(String guest) throws HypervisorException;

    /**
     * Cancels QEMU's own migration of a guest and waits, up to {@code wait}, until QEMU says how it
     * ended: cancelled (the guest stays here), completed (too late: it arrived), or failed.
     */
    MigrationStatus cancelHypervisorMigration(String guest, Duration wait) throws HypervisorException;

    @Override
    void close();
}
