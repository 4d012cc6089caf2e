package io.vmflow.runtime.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS 1.3 client contexts for Java's own clients (java.net.http) from an ops/pki.sh principal's
 * directory: trusting its {@code ca.crt}, presenting its {@code cert.pem} with {@code key.pem}
 * (an EC key in PKCS#8, as ops/pki.sh writes it).
 */
public final class PemTls {

    private PemTls() {}

    /** A context that trusts the directory's CA and presents the directory's certificate. */
    public static SSLContext client(Path principalDir) {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore(principalDir, new char[0]), new char[0]);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), trust(principalDir.resolve("ca.crt")).getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot read the TLS credentials in " + principalDir + " (ca.crt, cert.pem, key.pem): " + e, e);
        }
    }

    /** The directory's key and certificate as a PKCS#12 store (entry "me"; the key under this password). */
    private static KeyStore keyStore(Path principalDir, char[] password) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        Certificate[] chain = certificates(principalDir.resolve("cert.pem")).toArray(new Certificate[0]);
        keys.setKeyEntry("me", CredentialSeal.privateKey(principalDir.resolve("key.pem")), password, chain);
        return keys;
    }

    /** The CA certificates of a PEM file as a PKCS#12 trust store. */
    private static KeyStore trustStore(Path caCertificate) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int n = 0;
        for (Certificate c : certificates(caCertificate)) {
            store.setCertificateEntry("ca-" + n++, c);
        }
        return store;
    }

    /** A context that trusts this CA and presents no certificate. */
    public static SSLContext trusting(Path caCertificate) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(null, trust(caCertificate).getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the CA certificate " + caCertificate + ": " + e, e);
        }
    }

    private static TrustManagerFactory trust(Path ca) throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trustStore(ca));
        return tmf;
    }

    private static Collection<? extends Certificate> certificates(Path pem)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }
}
