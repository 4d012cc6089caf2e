package io.vmflow.agent.config;

import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host agent's typed configuration. Every key is a {@code VMFLOW_*} environment variable with a
 * type, a default and a check; an unknown {@code VMFLOW_AGENT_*} key is an error (a typo must not
 * silently fall back to a default).
 *
 * @param hostId              this host's id (names its command topic)
 * @param libvirtUri          how this agent reaches its own libvirtd (as published in host state)
 * @param libvirtPki          the agent's certificate, key and CA in libvirt's layout (cacert.pem,
 *                            clientcert.pem, clientkey.pem) for {@code qemu+tls} URIs, or null for
 *                            libvirt's default (/etc/pki)
 * @param migrationAddresses  addresses of the migration network(s), preferred first
 * @param portMin             first port of the hypervisor's migration range
 * @param portMax             last port of the range
 * @param relayEndpoint       host:port of this host's transport relay, or null
 * @param relayCertificate    PEM of this host's relay certificate (credentials are sealed to its key), or null
 * @param relaySocketDir      where the relay's per-session unix sockets are, as the hypervisor sees them
 * @param workers             size of the bounded pool running commands
 * @param stateInterval       how often host state (the heartbeat) is published
 * @param progressInterval    how often a running migration's job stats are reported
 * @param peerTimeout         how long a peer-to-peer source waits for the destination agent
 * @param management          host:port of /health, /ready, /metrics, or null when off
 * @param endpoints           Kafka and the registry
 */
public record AgentConfig(
        String hostId,
        String libvirtUri,
        java.nio.file.Path libvirtPki,
        List<String> migrationAddresses,
        int portMin,
        int portMax,
        String relayEndpoint,
        java.nio.file.Path relayCertificate,
        String relaySocketDir,
        int workers,
        Duration stateInterval,
        Duration progressInterval,
        Duration peerTimeout,
        String management,
        Endpoints endpoints) {

    private static final Set<String> KEYS = Set.of(
            "VMFLOW_AGENT_HOST_ID",
            "VMFLOW_AGENT_LIBVIRT_URI",
            "VMFLOW_AGENT_LIBVIRT_PKI",
            "VMFLOW_AGENT_MIGRATION_ADDRESSES",
            "VMFLOW_AGENT_MIGRATION_PORTS",
            "VMFLOW_AGENT_RELAY_ENDPOINT",
            "VMFLOW_AGENT_WORKERS",
            "VMFLOW_AGENT_STATE_INTERVAL_MS",
            "VMFLOW_AGENT_PROGRESS_INTERVAL_MS",
            "VMFLOW_AGENT_PEER_TIMEOUT_MS",
            "VMFLOW_AGENT_MANAGEMENT",
            "VMFLOW_AGENT_RELAY_CERT",
            "VMFLOW_AGENT_RELAY_SOCKET_DIR");

    public AgentConfig {
        if (!TopicCatalogue.isValidHostId(hostId)) {
            throw new IllegalArgumentException("VMFLOW_AGENT_HOST_ID '" + hostId
                    + "' is not a valid host id: letters, digits, '_' and '-', at most 63 characters");
        }
        if (libvirtUri == null || libvirtUri.isBlank()) {
            throw new IllegalArgumentException("VMFLOW_AGENT_LIBVIRT_URI is required (e.g. qemu:///system)");
        }
        if (libvirtPki != null) {
            for (String f : List.of("cacert.pem", "clientcert.pem", "clientkey.pem")) {
                if (!java.nio.file.Files.isReadable(libvirtPki.resolve(f))) {
                    throw new IllegalArgumentException("VMFLOW_AGENT_LIBVIRT_PKI names " + libvirtPki
                            + ", which has no readable " + f + ": it must hold the agent's certificate in"
                            + " libvirt's layout (cacert.pem, clientcert.pem, clientkey.pem; ops/pki.sh"
                            + " writes them to agent.HOST/libvirt)");
                }
            }
        }
        if (portMin < 1024 || portMax > 65535 || portMin > portMax) {
            throw new IllegalArgumentException(
                    "VMFLOW_AGENT_MIGRATION_PORTS must be MIN-MAX within 1024-65535, got " + portMin + "-" + portMax);
        }
        if (workers < 1 || workers > 64) {
            throw new IllegalArgumentException("VMFLOW_AGENT_WORKERS must be 1..64, got " + workers);
        }
        migrationAddresses = List.copyOf(migrationAddresses);
        if (relayEndpoint != null
                && (relayCertificate == null || !relayCertificate.toFile().canRead())) {
            throw new IllegalArgumentException("VMFLOW_AGENT_RELAY_ENDPOINT is set, so VMFLOW_AGENT_RELAY_CERT must"
                    + " name the relay's readable PEM certificate (got " + relayCertificate + ")");
        }
        if (!relaySocketDir.startsWith("/")) {
            throw new IllegalArgumentException(
                    "VMFLOW_AGENT_RELAY_SOCKET_DIR must be an absolute path, got " + relaySocketDir);
        }
        if (management != null && !management.matches("[^:]+:[0-9]{1,5}")) {
            throw new IllegalArgumentException("VMFLOW_AGENT_MANAGEMENT must be HOST:PORT or 'off', got " + management);
        }
    }

    /** Reads the configuration from environment-style variables. */
    public static AgentConfig from(Map<String, String> env, Endpoints endpoints) {
        List<String> unknown = new ArrayList<>();
        env.keySet().stream()
                .filter(k -> k.startsWith("VMFLOW_AGENT_") && !KEYS.contains(k))
                .forEach(unknown::add);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown configuration keys " + unknown + "; known: " + KEYS);
        }
        String ports = env.getOrDefault("VMFLOW_AGENT_MIGRATION_PORTS", "49152-49215");
        String[] range = ports.split("-");
        if (range.length != 2) {
            throw new IllegalArgumentException("VMFLOW_AGENT_MIGRATION_PORTS must be MIN-MAX, got " + ports);
        }
        String addresses = env.getOrDefault("VMFLOW_AGENT_MIGRATION_ADDRESSES", "");
        return new AgentConfig(
                env.get("VMFLOW_AGENT_HOST_ID"),
                env.get("VMFLOW_AGENT_LIBVIRT_URI"),
                blankToNull(env.get("VMFLOW_AGENT_LIBVIRT_PKI")) == null
                        ? null
                        : java.nio.file.Path.of(
                                env.get("VMFLOW_AGENT_LIBVIRT_PKI").trim()),
                Arrays.stream(addresses.split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList(),
                parseInt("VMFLOW_AGENT_MIGRATION_PORTS", range[0]),
                parseInt("VMFLOW_AGENT_MIGRATION_PORTS", range[1]),
                blankToNull(env.get("VMFLOW_AGENT_RELAY_ENDPOINT")),
                env.get("VMFLOW_AGENT_RELAY_CERT") == null
                        ? null
                        : java.nio.file.Path.of(env.get("VMFLOW_AGENT_RELAY_CERT")),
                env.getOrDefault("VMFLOW_AGENT_RELAY_SOCKET_DIR", "/run/libvirt/vmflow-relay"),
                parseInt("VMFLOW_AGENT_WORKERS", env.getOrDefault("VMFLOW_AGENT_WORKERS", "2")),
                Duration.ofMillis(parseInt(
                        "VMFLOW_AGENT_STATE_INTERVAL_MS", env.getOrDefault("VMFLOW_AGENT_STATE_INTERVAL_MS", "5000"))),
                Duration.ofMillis(parseInt(
                        "VMFLOW_AGENT_PROGRESS_INTERVAL_MS",
                        env.getOrDefault("VMFLOW_AGENT_PROGRESS_INTERVAL_MS", "1000"))),
                Duration.ofMillis(parseInt(
                        "VMFLOW_AGENT_PEER_TIMEOUT_MS", env.getOrDefault("VMFLOW_AGENT_PEER_TIMEOUT_MS", "60000"))),
                "off".equals(env.get("VMFLOW_AGENT_MANAGEMENT"))
                        ? null
                        : env.getOrDefault("VMFLOW_AGENT_MANAGEMENT", "127.0.0.1:9181"),
                endpoints);
    }

    /** The resolved configuration, for the log (nothing here is secret). */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hostId", hostId);
        m.put("libvirtUri", libvirtUri);
        m.put("libvirtPki", libvirtPki == null ? "libvirt's default (/etc/pki)" : libvirtPki);
        m.put("migrationAddresses", migrationAddresses);
        m.put("migrationPorts", portMin + "-" + portMax);
        m.put("relayEndpoint", relayEndpoint);
        m.put("relayCertificate", relayCertificate);
        m.put("relaySocketDir", relaySocketDir);
        m.put("workers", workers);
        m.put("stateInterval", stateInterval);
        m.put("progressInterval", progressInterval);
        m.put("peerTimeout", peerTimeout);
        m.put("management", management == null ? "off" : management);
        m.put("kafka", endpoints.bootstrapServers());
        m.put("registry", endpoints.registryUrl());
        return m;
    }

    private static int parseInt(String key, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + value + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
