package io.vmflow.runtime.security;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

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
            X509Certificate[] chain = certificates(principalDir.resolve("cert.pem")).stream()
                    .map(X509Certificate.class::cast)
                    .toArray(X509Certificate[]::new);
            KeyManager[] keys = {new OneKey(CredentialSeal.privateKey(principalDir.resolve("key.pem")), chain)};
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(keys, trust(principalDir.resolve("ca.crt")).getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot read the TLS credentials in " + principalDir + " (ca.crt, cert.pem, key.pem): " + e, e);
        }
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

    /**
     * Presents a principal's one key and certificate chain, whatever the peer asks for. (A key manager
     * from a KeyManagerFactory needs a key store, and a PKCS#12 one encrypts the key on the way in:
     * a tenth of a second of a command line's start, for nothing.)
     */
    private static final class OneKey extends X509ExtendedKeyManager {

        private static final String ALIAS = "me";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        OneKey(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        private String alias(String... keyTypes) {
            return keyTypes != null && Arrays.asList(keyTypes).contains(key.getAlgorithm()) ? ALIAS : null;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return alias(keyTypes);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return alias(keyTypes);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return alias(keyType);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return alias(keyType);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return alias(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return getClientAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }
}
