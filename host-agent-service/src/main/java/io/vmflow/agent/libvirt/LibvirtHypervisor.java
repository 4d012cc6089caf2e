package io.vmflow.agent.libvirt;

import io.vmflow.agent.hypervisor.HostFacts;
import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.hypervisor.MigrationOptions;
import io.vmflow.agent.hypervisor.MigrationStatus;
import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.JobFigures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.libvirt.CPUCompareResult;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.TypedParameter;
import org.libvirt.TypedStringParameter;
import org.libvirt.TypedUlongParameter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The libvirt-java adapter behind the agent's {@link Hypervisor} seam: this host's libvirtd, and QEMU's
 * monitor through it. Every call is blocking and runs on the agent's worker pools, never on an event
 * loop. The connection is reopened when libvirtd went away and came back.
 */
public final class LibvirtHypervisor implements Hypervisor {

    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHypervisor.class);
    private static final int XML_MIGRATABLE = 8; // VIR_DOMAIN_XML_MIGRATABLE
    private static final int JOB_STATS_COMPLETED = 1; // VIR_DOMAIN_JOB_STATS_COMPLETED
    private static final int JOB_BOUNDED = 1; // VIR_DOMAIN_JOB_BOUNDED: a job with a known end (a migration)
    private static final int JOB_UNBOUNDED = 2; // VIR_DOMAIN_JOB_UNBOUNDED

    private final LibvirtConnection connection;
    private final java.nio.file.Path pki;

    /**
     * @param uri this host's libvirt URI
     * @param pki the agent's certificate, key and CA in libvirt's layout, for {@code +tls} URIs (its
     *     own host's and its peers'); null: libvirt's default, /etc/pki
     */
    public LibvirtHypervisor(String uri, java.nio.file.Path pki) {
        this.pki = pki;
        this.connection = new LibvirtConnection(uri, pki);
    }

    @Override
    public String uri() {
        return connection.uri();
    }

    private Optional<Domain> find(String guest) throws HypervisorException {
        return connection.find(guest);
    }

    private Domain require(String guest) throws HypervisorException {
        return connection.require(guest);
    }

    @Override
    public boolean has(String guest) throws HypervisorException {
        return find(guest).isPresent();
    }

    @Override
    public GuestObservation observe(String guest) throws HypervisorException {
        return observe(connection, guest);
    }

    /** A guest as one host's libvirt has it; SHUT_OFF and not persistent when it is not there. */
    private static GuestObservation observe(LibvirtConnection on, String guest) throws HypervisorException {
        Optional<Domain> d = on.find(guest);
        if (d.isEmpty()) {
            return new GuestObservation(guest, null, GuestState.SHUT_OFF, false);
        }
        try {
            Domain dom = d.get();
            return new GuestObservation(
                    dom.getName(), dom.getUUIDString(), LibvirtInventory.state(dom.getInfo()), dom.isPersistent() == 1);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return new GuestObservation(guest, null, GuestState.SHUT_OFF, false); // vanished meanwhile
            }
            throw LibvirtErrors.from("observing guest " + guest + " at " + on.uri(), e);
        }
    }

    @Override
    public List<GuestInfo> guests() throws HypervisorException {
        return LibvirtInventory.guests(connection.get());
    }

    @Override
    public HostFacts facts() throws HypervisorException {
        return LibvirtInventory.facts(connection.get());
    }

    @Override
    public String migratableXml(String guest) throws HypervisorException {
        Domain d = require(guest);
        try {
            return d.getXMLDesc(XML_MIGRATABLE);
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("reading the domain XML", e);
        }
    }

    @Override
    public boolean cpuCompatible(String cpuXml) throws HypervisorException {
        if (cpuXml == null) {
            return true;
        }
        try {
            CPUCompareResult r = connection.get().compareCPU(cpuXml);
            return r != CPUCompareResult.VIR_CPU_COMPARE_INCOMPATIBLE && r != CPUCompareResult.VIR_CPU_COMPARE_ERROR;
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("comparing CPUs", e);
        }
    }

    @Override
    public boolean jobActive(String guest) throws HypervisorException {
        Optional<Domain> d = find(guest);
        if (d.isEmpty()) {
            return false;
        }
        try {
            int type = d.get().getJobStats(0).type;
            return type == JOB_BOUNDED || type == JOB_UNBOUNDED;
        } catch (LibvirtException e) {
            ErrorNumber n = e.getError() == null ? null : e.getError().getCode();
            if (n == ErrorNumber.VIR_ERR_OPERATION_INVALID || n == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return false; // not running (a guest that just left), or gone: no job
            }
            throw LibvirtErrors.from("reading the job of guest " + guest, e);
        }
    }

    @Override
    public GuestObservation observeAt(String uri, String guest) throws HypervisorException {
        LibvirtConnection other = new LibvirtConnection(uri, pki);
        try {
            return observe(other, guest);
        } finally {
            other.close();
        }
    }

    @Override
    public JobFigures jobFigures(String guest) {
        try {
            return JobFiguresReader.read(require(guest).getJobStats(0));
        } catch (LibvirtException | HypervisorException e) {
            return new JobFigures();
        }
    }

    @Override
    public JobFigures completedJobFigures(String guest, String otherUri) {
        JobFigures f = completedJobFigures(connection, guest);
        if (f.getDowntimeMs() != null || f.getDataTotalBytes() != null || otherUri == null) {
            return f;
        }
        LibvirtConnection other = new LibvirtConnection(otherUri, pki);
        try {
            return completedJobFigures(other, guest);
        } finally {
            other.close();
        }
    }

    /** A guest's last completed job as one host's libvirt kept it; empty when it kept none. */
    private static JobFigures completedJobFigures(LibvirtConnection on, String guest) {
        try {
            Optional<Domain> d = on.find(guest);
            return d.isEmpty()
                    ? new JobFigures()
                    : JobFiguresReader.read(d.get().getJobStats(JOB_STATS_COMPLETED));
        } catch (LibvirtException | HypervisorException e) {
            return new JobFigures();
        }
    }

    @Override
    public void migrateDirect(String guest, String destinationUri, MigrationOptions o) throws HypervisorException {
        Domain d = require(guest);
        Connect dest;
        try {
            dest = new Connect(LibvirtConnection.withPki(destinationUri, pki));
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("cannot connect to the destination libvirt at " + destinationUri, e);
        }
        try {
            d.migrate(dest, parameters(o), (int) o.flags()); // the int overload: the long one is deprecated
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("migration of " + o.guest() + " to " + destinationUri + " failed", e);
        } finally {
            try {
                dest.close();
            } catch (LibvirtException e) {
                LOG.debug("closing the destination connection: {}", e.getMessage());
            }
        }
    }

    @Override
    public void migrateToUri(String guest, String destinationUri, MigrationOptions o) throws HypervisorException {
        Domain d = require(guest);
        try {
            d.migrateToURI(destinationUri, parameters(o), (int) o.flags());
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("migration of " + o.guest() + " to " + destinationUri + " failed", e);
        }
    }

    @Override
    public boolean abortJob(String guest) throws HypervisorException {
        Domain d = require(guest);
        try {
            d.abortJob();
            return true;
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_OPERATION_INVALID) {
                return false; // no job is active
            }
            throw LibvirtErrors.from("aborting the job of the guest", e);
        }
    }

    @Override
    public String ensureRunning(String guest) throws HypervisorException {
        Domain d = require(guest);
        try {
            GuestState s = LibvirtInventory.state(d.getInfo());
            if (s == GuestState.PAUSED) {
                d.resume();
                return "resumed";
            }
            return s == GuestState.RUNNING ? "running" : "state " + s;
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("resuming the guest", e);
        }
    }

    @Override
    public void setMaxDowntime(String guest, long ms) throws HypervisorException {
        Domain d = require(guest);
        try {
            d.migrateSetMaxDowntime(ms);
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("setting the migration's maximum downtime", e);
        }
    }

    @Override
    public void destroy(String guest) throws HypervisorException {
        Domain d = require(guest);
        try {
            d.destroy();
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("destroying the guest", e);
        }
    }

    @Override
    public void undefine(String guest) throws HypervisorException {
        Domain d = require(guest);
        try {
            d.undefine();
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("undefining the guest", e);
        }
    }

    @Override
    public void startHypervisorMigration(String guest, String qemuUri) throws HypervisorException {
        QemuMonitor.migrate(require(guest), qemuUri);
    }

    @Override
    public MigrationStatus hypervisorMigrationStatus(String guest) throws HypervisorException {
        return QemuMonitor.status(require(guest));
    }

    @Override
    public MigrationStatus cancelHypervisorMigration(String guest, Duration wait) throws HypervisorException {
        return QemuMonitor.cancel(require(guest), wait);
    }

    /** virDomainMigrate3 / virDomainMigrateToURI3 parameters; never empty (libvirt-java cannot pass none). */
    static TypedParameter[] parameters(MigrationOptions o) {
        List<TypedParameter> p = new ArrayList<>();
        p.add(new TypedStringParameter("destination_name", o.guest()));
        if (o.migrationUri() != null) {
            p.add(new TypedStringParameter("migrate_uri", o.migrationUri()));
        }
        if (o.bandwidthMiBps() != null && o.bandwidthMiBps() > 0) {
            p.add(new TypedUlongParameter("bandwidth", o.bandwidthMiBps()));
        }
        return p.toArray(new TypedParameter[0]);
    }

    @Override
    public void close() {
        connection.close();
    }
}
