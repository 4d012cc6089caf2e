package io.vmflow.agent.libvirt;

import io.vmflow.agent.hypervisor.HostFacts;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestState;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;

/** What libvirt says about this host and its guests, in the contract's terms (for the host state). */
final class LibvirtInventory {

    private static final Pattern CPU_MODEL = Pattern.compile("<host>.*?<cpu>.*?<model>([^<]+)</model>", Pattern.DOTALL);
    private static final Pattern CPU_ARCH = Pattern.compile("<host>.*?<cpu>.*?<arch>([^<]+)</arch>", Pattern.DOTALL);

    private LibvirtInventory() {}

    /** Every guest on this host, running or only defined. */
    static List<GuestInfo> guests(Connect c) throws HypervisorException {
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
                    out.add(new GuestInfo(
                            name,
                            d.getUUIDString(),
                            state(info),
                            d.isPersistent() == 1,
                            info.maxMem * 1024,
                            info.nrVirtCpu));
                } catch (LibvirtException e) {
                    // undefined between the two calls
                }
            }
            return out;
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("listing guests", e);
        }
    }

    static HostFacts facts(Connect c) throws HypervisorException {
        try {
            NodeInfo n = c.nodeInfo();
            String caps = c.getCapabilities();
            long v = c.getLibVersion();
            return new HostFacts(
                    match(CPU_MODEL, caps),
                    match(CPU_ARCH, caps),
                    n.cpus,
                    n.memory * 1024,
                    c.getFreeMemory(),
                    (v / 1_000_000) + "." + (v / 1000 % 1000) + "." + (v % 1000));
        } catch (LibvirtException e) {
            throw LibvirtErrors.from("reading host facts", e);
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
}
