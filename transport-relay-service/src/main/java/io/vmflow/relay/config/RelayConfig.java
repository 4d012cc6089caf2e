package io.vmflow.relay.config;

import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The transport relay's typed configuration, from {@code VMFLOW_RELAY_*} environment variables; an
 * unknown key is an error. TLS has paths and nothing else: there is no setting that turns it off.
 * {@code VMFLOW_RELAY_TLS_DIR} (default /etc/vmflow/pki) is the relay's directory from ops/pki.sh:
 * ca.crt, cert.pem, key.pem, and crl.pem when the CA has one.
 *
 * @param hostId        this host's id (its certificate's CN must be the same)
 * @param listen        host:port of the public TLS port (the one firewall port)
 * @param socketDir     where per-session unix sockets live, on this host (the hypervisor must reach them)
 * @param caPath        PEM of the vmflow CA
 * @param certPath      PEM of this relay's certificate (ops/pki.sh DIR issue relay HOST)
 * @param keyPath       PEM PKCS#8 of its key
 * @param crlPath       PEM of the CA's revocation list, or null (then no certificate is revoked)
 * @param management    host:port of /health, /ready, /metrics, or null when off
 * @param drainTimeout  on shutdown, how long running streams may go on before they are cut
 * @param endpoints     Kafka and the registry
 */
public record RelayConfig(
        String hostId,
        String listen,
        Path socketDir,
        Path caPath,
        Path certPath,
        Path keyPath,
        Path crlPath,
        String management,
        Duration drainTimeout,
        Endpoints endpoints) {

    private static final Set<String> KEYS = Set.of(
            "VMFLOW_RELAY_HOST_ID",
            "VMFLOW_RELAY_LISTEN",
            "VMFLOW_RELAY_SOCKET_DIR",
            "VMFLOW_RELAY_TLS_DIR",
            "VMFLOW_RELAY_TLS_CA",
            "VMFLOW_RELAY_TLS_CERT",
            "VMFLOW_RELAY_TLS_KEY",
            "VMFLOW_RELAY_TLS_CRL",
            "VMFLOW_RELAY_MANAGEMENT",
            "VMFLOW_RELAY_DRAIN_SECONDS");

    public RelayConfig {
        if (!TopicCatalogue.isValidHostId(hostId)) {
            throw new IllegalArgumentException("VMFLOW_RELAY_HOST_ID '" + hostId
                    + "' is not a valid host id: letters, digits, '_' and '-', at most 63 characters");
        }
        if (!listen.matches("[^:]+:[0-9]{1,5}")) {
            throw new IllegalArgumentException("VMFLOW_RELAY_LISTEN must be HOST:PORT, got " + listen);
        }
        if (management != null && !management.matches("[^:]+:[0-9]{1,5}")) {
            throw new IllegalArgumentException("VMFLOW_RELAY_MANAGEMENT must be HOST:PORT or 'off', got " + management);
        }
        for (Path p :
                crlPath == null ? List.of(caPath, certPath, keyPath) : List.of(caPath, certPath, keyPath, crlPath)) {
            if (!p.toFile().canRead()) {
                throw new IllegalArgumentException("cannot read " + p + " (set VMFLOW_RELAY_TLS_DIR to the relay's"
                        + " directory from ops/pki.sh DIR issue relay HOST, or VMFLOW_RELAY_TLS_CA/_CERT/_KEY/_CRL)");
            }
        }
    }

    public static RelayConfig from(Map<String, String> env, Endpoints endpoints) {
        List<String> unknown = new ArrayList<>();
        env.keySet().stream()
                .filter(k -> k.startsWith("VMFLOW_RELAY_") && !KEYS.contains(k))
                .forEach(unknown::add);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown configuration keys " + unknown + "; known: " + KEYS);
        }
        String host = env.get("VMFLOW_RELAY_HOST_ID");
        Path tlsDir = Path.of(env.getOrDefault("VMFLOW_RELAY_TLS_DIR", "/etc/vmflow/pki"));
        String drain = env.getOrDefault("VMFLOW_RELAY_DRAIN_SECONDS", "600");
        long drainSeconds;
        try {
            drainSeconds = Long.parseLong(drain.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("VMFLOW_RELAY_DRAIN_SECONDS must be a number, got '" + drain + "'");
        }
        return new RelayConfig(
                host,
                env.getOrDefault("VMFLOW_RELAY_LISTEN", "0.0.0.0:7443"),
                Path.of(env.getOrDefault("VMFLOW_RELAY_SOCKET_DIR", "/run/libvirt/vmflow-relay")),
                Path.of(env.getOrDefault(
                        "VMFLOW_RELAY_TLS_CA", tlsDir.resolve("ca.crt").toString())),
                Path.of(env.getOrDefault(
                        "VMFLOW_RELAY_TLS_CERT", tlsDir.resolve("cert.pem").toString())),
                Path.of(env.getOrDefault(
                        "VMFLOW_RELAY_TLS_KEY", tlsDir.resolve("key.pem").toString())),
                env.containsKey("VMFLOW_RELAY_TLS_CRL")
                        ? Path.of(env.get("VMFLOW_RELAY_TLS_CRL"))
                        : tlsDir.resolve("crl.pem").toFile().exists() ? tlsDir.resolve("crl.pem") : null,
                "off".equals(env.get("VMFLOW_RELAY_MANAGEMENT"))
                        ? null
                        : env.getOrDefault("VMFLOW_RELAY_MANAGEMENT", "127.0.0.1:9281"),
                Duration.ofSeconds(drainSeconds),
                endpoints);
    }

    /** The resolved configuration for the log: paths, never key material. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hostId", hostId);
        m.put("listen", listen);
        m.put("socketDir", socketDir);
        m.put(
                "tls",
                "TLSv1.3, client certificates required; ca " + caPath + ", cert " + certPath + ", key " + keyPath
                        + ", revocation list " + (crlPath == null ? "none" : crlPath)
                        + " (all reloaded when they change)");
        m.put("management", management == null ? "off" : management);
        m.put("drainTimeout", drainTimeout);
        m.put("kafka", endpoints.bootstrapServers());
        m.put("registry", endpoints.registryUrl());
        return m;
    }
}
