package io.vmflow.relay.net;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.util.Set;

/**
 * The relay's TLS: version 1.3 only, a certificate of its own and the CA it trusts, client
 * certificates required. There is no option to turn any of it off.
 *
 * @param caPath   PEM of the CA whose certificates the relay accepts
 * @param certPath PEM of this relay's certificate (urn:vmflow:relay:HOST)
 * @param keyPath  PEM (PKCS#8) of its key
 * @param crlPath  PEM of the CA's revocation list, or null when there is none
 */
public record Tls(String caPath, String certPath, String keyPath, String crlPath) {

    public Tls(String caPath, String certPath, String keyPath) {
        this(caPath, certPath, keyPath, null);
    }

    private static final Set<String> TLS13 = Set.of("TLSv1.3");

    /** OpenSSL (BoringSSL from netty-tcnative) when it loads, else the JDK's engine: same protocol, same checks. */
    private static SSLEngineOptions engine() {
        return OpenSSLEngineOptions.isAvailable() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    }

    /** Which TLS implementation the relay uses on this machine (for the log and the benchmark). */
    public static String engineName() {
        return OpenSSLEngineOptions.isAvailable() ? "OpenSSL (BoringSSL)" : "JDK";
    }

    NetServerOptions server() {
        NetServerOptions o = new NetServerOptions()
                .setSsl(true)
                .setSslEngineOptions(engine())
                .setEnabledSecureTransportProtocols(TLS13)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certPath).setKeyPath(keyPath))
                .setTrustOptions(new PemTrustOptions().addCertPath(caPath))
                .setClientAuth(ClientAuth.REQUIRED)
                .setSslHandshakeTimeout(10);
        if (crlPath != null) {
            o.addCrlPath(crlPath);
        }
        return o;
    }

    NetClientOptions client() {
        NetClientOptions o = new NetClientOptions()
                .setSsl(true)
                .setSslEngineOptions(engine())
                .setEnabledSecureTransportProtocols(TLS13)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certPath).setKeyPath(keyPath))
                .setTrustOptions(new PemTrustOptions().addCertPath(caPath))
                .setHostnameVerificationAlgorithm("HTTPS")
                .setConnectTimeout(10_000);
        if (crlPath != null) {
            o.addCrlPath(crlPath);
        }
        return o;
    }

    /** The files this TLS is made of, for watching them. */
    public java.util.List<String> files() {
        java.util.List<String> f = new java.util.ArrayList<>(java.util.List.of(caPath, certPath, keyPath));
        if (crlPath != null) {
            f.add(crlPath);
        }
        return f;
    }
}
