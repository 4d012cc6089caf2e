package io.vmflow.agent.libvirt;

import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.Optional;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One connection to this host's libvirtd, reopened when it died; guests looked up by name or UUID. */
final class LibvirtConnection {

    private static final Logger LOG = LoggerFactory.getLogger(LibvirtConnection.class);

    static {
        try {
            // libvirt prints every error on stderr by default; vmflow reports them through exceptions
            Connect.setErrorCallback(new org.libvirt.ErrorCallback());
        } catch (LibvirtException e) {
            LoggerFactory.getLogger(LibvirtConnection.class)
                    .debug("cannot silence libvirt's stderr: {}", e.getMessage());
        }
    }

    private final String uri;
    private Connect connect;

    LibvirtConnection(String uri) {
        this.uri = uri;
    }

    String uri() {
        return uri;
    }

    /** The open connection, reopened if it died. */
    synchronized Connect get() throws HypervisorException {
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
            throw LibvirtErrors.from("cannot connect to libvirt at " + uri, e);
        }
    }

    /** A guest by name or UUID. */
    Optional<Domain> find(String guest) throws HypervisorException {
        Connect c = get();
        try {
            return Optional.of(c.domainLookupByName(guest));
        } catch (LibvirtException e) {
            if (e.getError() == null || e.getError().getCode() != ErrorNumber.VIR_ERR_NO_DOMAIN) {
                throw LibvirtErrors.from("looking up guest " + guest, e);
            }
        }
        if (guest.matches("[0-9a-fA-F-]{36}")) {
            try {
                return Optional.of(c.domainLookupByUUIDString(guest));
            } catch (LibvirtException e) {
                if (e.getError() == null || e.getError().getCode() != ErrorNumber.VIR_ERR_NO_DOMAIN) {
                    throw LibvirtErrors.from("looking up guest " + guest, e);
                }
            }
        }
        return Optional.empty();
    }

    Domain require(String guest) throws HypervisorException {
        return find(guest)
                .orElseThrow(() -> new HypervisorException(
                        ReasonCode.GUEST_NOT_FOUND, "guest '" + guest + "' is not defined on " + uri));
    }

    synchronized void close() {
        if (connect != null) {
            try {
                connect.close();
            } catch (LibvirtException e) {
                LOG.debug("closing libvirt connection: {}", e.getMessage());
            }
            connect = null;
        }
    }
}
