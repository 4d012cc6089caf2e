package io.vmflow.agent.libvirt;

import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestObservation;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.JobFigures;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.CPUCompareResult;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's libvirtd, through libvirt-java. Every call is blocking and runs on the agent's worker
 * pool, never on an event loop. The connection is reopened when libvirtd went away and came back.
 */
public final class Hypervisor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Hypervisor.class);
    private static final int XML_MIGRATABLE = 8; // VIR_DOMAIN_XML_MIGRATABLE
    private static final int JOB_STATS_COMPLETED = 1; // VIR_DOMAIN_JOB_STATS_COMPLETED
    private static final Pattern CPU_MODEL = Pattern.compile("<host>.*?<cpu>.*?<model>([^<]+)</model>", Pattern.DOTALL);
    private static final Pattern CPU_ARCH = Pattern.compile("<host>.*?<cpu>.*?<arch>([^<]+)</arch>", Pattern.DOTALL);

    static {
        try {
            // libvirt prints every error on stderr by default; vmflow reports them through exceptions
            Connect.setErrorCallback(new org.libvirt.ErrorCallback());
        } catch (LibvirtException e) {
            LoggerFactory.getLogger(Hypervisor.class).debug("cannot silence libvirt's stderr: {}", e.getMessage());
        }
    }

    private final String uri;
    private Connect connect;

    public Hypervisor(String uri) {
        this.uri = uri;
    }

    public String uri() {
        return uri;
    }

    /** The open connection, reopened if it died. */
    public synchronized Connect connection() throws HypervisorException {
        try {
            if (connect != null && connect.isAlive()) {
                return connect;
            }
        } catch (LibvirtException e) {
            LOG.warn("libvirt connection to {} is dead, reopening: {}", uri, e.getMessage());
        }
        try {
            connect = new Connect(uri);
            return connect;
        } catch (LibvirtException e) {
            throw HypervisorException.from("cannot connect to libvirt at " + uri, e);
        }
    }

    /** A guest by name or UUID. */
    public Optional<Domain> find(String guest) throws HypervisorException {
        Connect c = connection();
        try {
            return Optional.of(c.domainLookupByName(guest));
        } catch (LibvirtException e) {
            if (e.getError() == null || e.getError().getCode() != ErrorNumber.VIR_ERR_NO_DOMAIN) {
                throw HypervisorException.from("looking up guest " + guest, e);
            }
        }
        if (guest.matches("[0-9a-fA-F-]{36}")) {
            try {
                return Optional.of(c.domainLookupByUUIDString(guest));
            } catch (LibvirtException e) {
                if (e.getError() == null || e.getError().getCode() != ErrorNumber.VIR_ERR_NO_DOMAIN) {
                    throw HypervisorException.from("looking up guest " + guest, e);
                }
            }
        }
        return Optional.empty();
    }

    public Domain require(String guest) throws HypervisorException {
        return find(guest).orElseThrow(() -> new HypervisorException(ReasonCode.GUEST_NOT_FOUND,
                "guest '" + guest + "' is not defined on " + uri));
    }

    /** What a guest looks like now; SHUT_OFF/not persistent when it is not on this host at all. */
    public GuestObservation observe(String guest) throws HypervisorException {
        Optional<Domain> d = find(guest);
        if (d.isEmpty()) {
            return new GuestObservation(guest, null, GuestState.SHUT_OFF, false);
        }
        try {
            Domain dom = d.get();
            return new GuestObservation(dom.getName(), dom.getUUIDString(), state(dom.getInfo()),
                    dom.isPersistent() == 1);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return new GuestObservation(guest, null, GuestState.SHUT_OFF, false); // vanished meanwhile
            }
            throw HypervisorException.from("observing guest " + guest, e);
        }
    }

    /** Every guest on this host, running or only defined. */
    public List<GuestInfo> guests() throws HypervisorException {
        Connect c = connection();
        List<GuestInfo> out = new ArrayList<>();
        try {
            Set<String> names = new LinkedHashSet<>();
            for (int id : c.listDomains()) {
                try {
                    names.add(c.domainLookupByID(id).getName());
                } catch (LibvirtException e) {
                    // it stopped between the two calls
                }
            }
            names.addAll(List.of(c.listDefinedDomains()));
            for (String name : names) {
                try {
                    Domain d = c.domainLookupByName(name);
                    DomainInfo info = d.getInfo();
                    out.add(new GuestInfo(name, d.getUUIDString(), state(info), d.isPersistent() == 1,
                            info.maxMem * 1024, info.nrVirtCpu));
                } catch (LibvirtException e) {
                    // undefined between the two calls
                }
            }
            return out;
        } catch (LibvirtException e) {
            throw HypervisorException.from("listing guests", e);
        }
    }

    /** CPU model, architecture, CPUs, memory and libvirt version of this host. */
    public HostFacts facts() throws HypervisorException {
        Connect c = connection();
        try {
            NodeInfo n = c.nodeInfo();
            String caps = c.getCapabilities();
            long v = c.getLibVersion();
            return new HostFacts(match(CPU_MODEL, caps), match(CPU_ARCH, caps), n.cpus, n.memory * 1024,
                    c.getFreeMemory(), (v / 1_000_000) + "." + (v / 1000 % 1000) + "." + (v % 1000));
        } catch (LibvirtException e) {
            throw HypervisorException.from("reading host facts", e);
        }
    }

    public String migratableXml(Domain d) throws HypervisorException {
        try {
            return d.getXMLDesc(XML_MIGRATABLE);
        } catch (LibvirtException e) {
            throw HypervisorException.from("reading the domain XML", e);
        }
    }

    /** Whether this host's CPU can run a guest CPU definition (null: nothing to check). */
    public boolean cpuCompatible(String cpuXml) throws HypervisorException {
        if (cpuXml == null) {
            return true;
        }
        try {
            CPUCompareResult r = connection().compareCPU(cpuXml);
            return r != CPUCompareResult.VIR_CPU_COMPARE_INCOMPATIBLE && r != CPUCompareResult.VIR_CPU_COMPARE_ERROR;
        } catch (LibvirtException e) {
            throw HypervisorException.from("comparing CPUs", e);
        }
    }

    /** The statistics of the job running on a guest now. */
    public JobFigures jobFigures(Domain d) {
        try {
            return JobFiguresReader.read(d.getJobStats(0));
        } catch (LibvirtException e) {
            return new JobFigures();
        }
    }

    /** The statistics of a guest's last completed job (downtime, total time, bytes), if libvirt kept them. */
    public JobFigures completedJobFigures(Domain d) {
        try {
            return JobFiguresReader.read(d.getJobStats(JOB_STATS_COMPLETED));
        } catch (LibvirtException e) {
            return new JobFigures();
        }
    }

    /** Managed direct: this agent holds both connections (virDomainMigrate3). Blocks until done. */
    public void migrateDirect(Domain d, String destinationUri, MigrationOptions o) throws HypervisorException {
        Connect dest;
        try {
            dest = new Connect(destinationUri);
        } catch (LibvirtException e) {
            throw HypervisorException.from("cannot connect to the destination libvirt at " + destinationUri, e);
        }
        try {
            d.migrate(dest, o.parameters(), o.flags());
        } catch (LibvirtException e) {
            throw HypervisorException.from("migration of " + o.guest() + " to " + destinationUri + " failed", e);
        } finally {
            try {
                dest.close();
            } catch (LibvirtException e) {
                LOG.debug("closing the destination connection: {}", e.getMessage());
            }
        }
    }

    /** Peer-to-peer: libvirtd on this host talks to the destination's itself (virDomainMigrateToURI3). */
    public void migrateToUri(Domain d, String destinationUri, MigrationOptions o) throws HypervisorException {
        try {
            d.migrateToURI(destinationUri, o.parameters(), (int) o.flags());
        } catch (LibvirtException e) {
            throw HypervisorException.from("migration of " + o.guest() + " to " + destinationUri + " failed", e);
        }
    }

    /** Aborts the guest's running job; false when there was none. */
    public boolean abortJob(Domain d) throws HypervisorException {
        try {
            d.abortJob();
            return true;
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_OPERATION_INVALID) {
                return false; // no job is active
            }
            throw HypervisorException.from("aborting the job of the guest", e);
        }
    }

    /** Makes sure a guest runs: resumes it when paused. Returns what it did. */
    public String ensureRunning(Domain d) throws HypervisorException {
        try {
            GuestState s = state(d.getInfo());
            if (s == GuestState.PAUSED) {
                d.resume();
                return "resumed";
            }
            return s == GuestState.RUNNING ? "running" : "state " + s;
        } catch (LibvirtException e) {
            throw HypervisorException.from("resuming the guest", e);
        }
    }

    /** Sets the downtime a running migration may take at its end. */
    public void setMaxDowntime(Domain d, long ms) throws HypervisorException {
        try {
            d.migrateSetMaxDowntime(ms);
        } catch (LibvirtException e) {
            throw HypervisorException.from("setting the migration's maximum downtime", e);
        }
    }

    public void destroy(Domain d) throws HypervisorException {
        try {
            d.destroy();
        } catch (LibvirtException e) {
            throw HypervisorException.from("destroying the guest", e);
        }
    }

    public void undefine(Domain d) throws HypervisorException {
        try {
            d.undefine();
        } catch (LibvirtException e) {
            throw HypervisorException.from("undefining the guest", e);
        }
    }

    static GuestState state(DomainInfo info) {
        return switch (info.state) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> GuestState.RUNNING;
            case VIR_DOMAIN_PAUSED, VIR_DOMAIN_PMSUSPENDED -> GuestState.PAUSED;
            case VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTOFF -> GuestState.SHUT_OFF;
            case VIR_DOMAIN_CRASHED -> GuestState.CRASHED;
            default -> GuestState.UNKNOWN;
        };
    }

    private static String match(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group(1) : null;
    }

    @Override
    public synchronized void close() {
        if (connect != null) {
            try {
                connect.close();
            } catch (LibvirtException e) {
                LOG.debug("closing libvirt connection: {}", e.getMessage());
            }
            connect = null;
        }
    }

    /** What the host state reports about the machine. */
    public record HostFacts(String cpuModel, String cpuArch, int cpus, long memoryTotalBytes, long memoryFreeBytes,
            String libvirtVersion) {
    }
}
