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
    private final String connectUri;
    private Connect connect;

    /**
     * @param uri the libvirt URI (as registered: it names the host, never a local path)
     * @param pki this client's certificate, key and CA in libvirt's layout, for {@code +tls} URIs
     *     (null: libvirt's default, /etc/pki)
     */
    LibvirtConnection(String uri, java.nio.file.Path pki) {
        this.uri = uri;
        this.connectUri = withPki(uri, pki);
    }

    /**
     * The URI a client connects with: a TLS URI gets {@code pkipath=} naming this client's own files,
     * unless it names some already.
     */
    static String withPki(String uri, java.nio.file.Path pki) {
        if (pki == null || uri == null || !uri.matches("[a-z0-9]+\\+tls://.*") || uri.contains("pkipath=")) {
            return uri;
        }
        String path = pki.toAbsolutePath().toString();
        StringBuilder escaped = new StringBuilder();
        for (byte b : path.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "/._-".indexOf(c) >= 0)) {
                escaped.append(c);
            } else {
                escaped.append(String.format("%%%02X", b & 0xff));
            }
        }
        return uri + (uri.contains("?") ? "&" : "?") + "pkipath=" + escaped;
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
            connect = new Connect(connectUri);
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
