package io.vmflow.runtime.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's revocation list (ops/pki.sh's {@code crl.pem}) as a broker reads it: parsed at start, read
 * again whenever the file changes (a {@code stat} per question, a parse per change), so a revocation
 * counts from the next connection without a restart. A list that cannot be read at start is an error
 * (a broker must not start believing nobody is revoked); one that turns unreadable later keeps the last
 * good list in force, and says so in the log. JDK only: it runs inside the Kafka broker.
 */
public final class RevocationList {

    private static final Logger LOG = LoggerFactory.getLogger(RevocationList.class);

    private final Path file;
    private FileTime loadedStamp;
    private X509CRL crl;

    /** Reads the list now; throws IllegalArgumentException when it is missing or not a CRL. */
    public RevocationList(Path file) {
        this.file = file;
        try {
            load();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot read the revocation list " + file + " (" + e.getMessage()
                            + "): distribute the CA's crl.pem there (ops/pki.sh writes one)",
                    e);
        }
    }

    /** Whether the certificate is on the list, as the file says now. */
    public synchronized boolean revoked(X509Certificate cert) {
        try {
            if (!Files.getLastModifiedTime(file).equals(loadedStamp)) {
                load();
                LOG.info("revocation list {} reloaded: {} revoked", file, count());
            }
        } catch (IOException | GeneralSecurityException e) {
            LOG.error("revocation list {} unreadable ({}); the previous one stays in force", file, e.getMessage());
        }
        return crl.isRevoked(cert);
    }

    private int count() {
        return crl.getRevokedCertificates() == null
                ? 0
                : crl.getRevokedCertificates().size();
    }

    private void load() throws IOException, GeneralSecurityException {
        FileTime stamp = Files.getLastModifiedTime(file);
        X509CRL parsed;
        try (InputStream in = Files.newInputStream(file)) {
            parsed = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        }
        crl = parsed;
        loadedStamp = stamp;
    }
}
