package io.vmflow.coordinator.config;

import io.vmflow.coordinator.intake.DestinationPolicy;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.security.Jwt;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The coordinator's typed configuration from {@code VMFLOW_COORDINATOR_*} variables; an unknown key
 * of that prefix is an error.
 *
 * @param id               this instance's id (its transactional id, the issuer of its commands)
 * @param outboundPerHost  admission: migrations leaving one host at once
 * @param inboundPerHost   admission: migrations entering one host at once
 * @param clusterWide      admission: migrations in flight in the cluster
 * @param leaseInterval    how often the managed-direct lease is renewed
 * @param leaseTtl         how long a lease stays valid after a renewal
 * @param leaseGrace       how long after expiry the source agents wait before aborting
 * @param stepTimeout      how long a phase may wait for one agent's answer (docs/phases.md)
 * @param queueTimeout     how long a request may wait for an admission slot
 * @param http             host:port of the HTTP API, or null when off
 * @param management       host:port of /health, /ready and /metrics, or null when off
 * @param destinations     where a request may send a guest besides the registered hosts
 * @param httpTokens       how the HTTP API verifies bearer tokens, or null when its authentication is off
 * @param httpTls          the principal directory whose certificate the HTTP API serves TLS with (and whose
 *                         CA's client certificates it accepts), or null for plain HTTP (development only)
 * @param endpoints        Kafka and the registry
 */
public record CoordinatorConfig(
        String id,
        int outboundPerHost,
        int inboundPerHost,
        int clusterWide,
        Duration leaseInterval,
        Duration leaseTtl,
        Duration leaseGrace,
        Duration stepTimeout,
        Duration queueTimeout,
        String http,
        String management,
        DestinationPolicy destinations,
        Jwt.Verifier httpTokens,
        java.nio.file.Path httpTls,
        Endpoints endpoints) {

    private static final Set<String> KEYS = Set.of(
            "VMFLOW_COORDINATOR_ID",
            "VMFLOW_COORDINATOR_OUTBOUND_LIMIT",
            "VMFLOW_COORDINATOR_INBOUND_LIMIT",
            "VMFLOW_COORDINATOR_CLUSTER_LIMIT",
            "VMFLOW_COORDINATOR_LEASE_TTL_MS",
            "VMFLOW_COORDINATOR_LEASE_GRACE_MS",
            "VMFLOW_COORDINATOR_STEP_TIMEOUT_MS",
            "VMFLOW_COORDINATOR_QUEUE_TIMEOUT_MS",
            "VMFLOW_COORDINATOR_HTTP",
            "VMFLOW_COORDINATOR_MANAGEMENT",
            DestinationPolicy.FOREIGN_KEY,
            DestinationPolicy.PARAMETERS_KEY,
            "VMFLOW_COORDINATOR_HTTP_AUTH",
            "VMFLOW_COORDINATOR_HTTP_TLS_DIR",
            "VMFLOW_COORDINATOR_JWT_KEYS",
            "VMFLOW_COORDINATOR_JWT_ISSUER",
            "VMFLOW_COORDINATOR_JWT_AUDIENCE",
            "VMFLOW_COORDINATOR_JWT_ROLES_CLAIM");

    public CoordinatorConfig {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw new IllegalArgumentException(
                    "VMFLOW_COORDINATOR_ID '" + id + "' must be letters, digits, '.', '_', '-'");
        }
        if (outboundPerHost < 1 || inboundPerHost < 1 || clusterWide < 1) {
            throw new IllegalArgumentException("admission limits must be at least 1");
        }
        if (stepTimeout.toSeconds() < 5
                || stepTimeout.toDays() > 1
                || queueTimeout.toSeconds() < 5
                || queueTimeout.toDays() > 30) {
            throw new IllegalArgumentException("VMFLOW_COORDINATOR_STEP_TIMEOUT_MS must be 5 s to a day and"
                    + " VMFLOW_COORDINATOR_QUEUE_TIMEOUT_MS 5 s to 30 days");
        }
        if (http != null && !http.matches("[^:]+:[0-9]{1,5}")) {
            throw new IllegalArgumentException("VMFLOW_COORDINATOR_HTTP must be HOST:PORT or 'off', got " + http);
        }
        if (management != null && !management.matches("[^:]+:[0-9]{1,5}")) {
            throw new IllegalArgumentException(
                    "VMFLOW_COORDINATOR_MANAGEMENT must be HOST:PORT or 'off', got " + management);
        }
    }

    public static CoordinatorConfig from(Map<String, String> env, Endpoints endpoints) {
        env.keySet().stream()
                .filter(k -> k.startsWith("VMFLOW_COORDINATOR_") && !KEYS.contains(k))
                .findFirst()
                .ifPresent(k -> {
                    throw new IllegalArgumentException("unknown configuration key " + k + "; known: " + KEYS);
                });
        long ttl = number(env, "VMFLOW_COORDINATOR_LEASE_TTL_MS", 6000);
        String http = "off".equals(env.get("VMFLOW_COORDINATOR_HTTP"))
                ? null
                : env.getOrDefault("VMFLOW_COORDINATOR_HTTP", "127.0.0.1:8080");
        return new CoordinatorConfig(
                env.getOrDefault("VMFLOW_COORDINATOR_ID", "coordinator-" + hostname()),
                (int) number(env, "VMFLOW_COORDINATOR_OUTBOUND_LIMIT", 2),
                (int) number(env, "VMFLOW_COORDINATOR_INBOUND_LIMIT", 2),
                (int) number(env, "VMFLOW_COORDINATOR_CLUSTER_LIMIT", 5),
                Duration.ofMillis(Math.max(500, ttl / 3)),
                Duration.ofMillis(ttl),
                Duration.ofMillis(number(env, "VMFLOW_COORDINATOR_LEASE_GRACE_MS", 10000)),
                Duration.ofMillis(number(env, "VMFLOW_COORDINATOR_STEP_TIMEOUT_MS", 120_000)),
                Duration.ofMillis(number(env, "VMFLOW_COORDINATOR_QUEUE_TIMEOUT_MS", 3_600_000)),
                http,
                "off".equals(env.get("VMFLOW_COORDINATOR_MANAGEMENT"))
                        ? null
                        : env.getOrDefault("VMFLOW_COORDINATOR_MANAGEMENT", "127.0.0.1:9081"),
                DestinationPolicy.from(env),
                http == null ? null : httpTokens(env),
                http == null ? null : httpTls(env, endpoints),
                endpoints);
    }

    /**
     * The HTTP API's token verifier: the keys of VMFLOW_COORDINATOR_JWT_KEYS (PEM or JWKS), the audience
     * (default vmflow), the issuer when given; null only when VMFLOW_COORDINATOR_HTTP_AUTH=off.
     */
    static Jwt.Verifier httpTokens(Map<String, String> env) {
        String mode = env.getOrDefault("VMFLOW_COORDINATOR_HTTP_AUTH", "jwt");
        if (mode.equals("off")) {
            return null;
        }
        if (!mode.equals("jwt")) {
            throw new IllegalArgumentException("VMFLOW_COORDINATOR_HTTP_AUTH must be 'jwt' (the default) or 'off'");
        }
        String keys = env.get("VMFLOW_COORDINATOR_JWT_KEYS");
        if (keys == null || keys.isBlank()) {
            throw new IllegalArgumentException("the HTTP API needs the keys that verify its bearer tokens: set"
                    + " VMFLOW_COORDINATOR_JWT_KEYS to a PEM or JWKS file (your identity provider's keys, or those"
                    + " `vmflow token --init` writes), or VMFLOW_COORDINATOR_HTTP=off; for development only,"
                    + " VMFLOW_COORDINATOR_HTTP_AUTH=off");
        }
        try {
            return new Jwt.Verifier(
                    Jwt.readKeys(java.nio.file.Path.of(keys)),
                    env.get("VMFLOW_COORDINATOR_JWT_ISSUER"),
                    env.getOrDefault("VMFLOW_COORDINATOR_JWT_AUDIENCE", "vmflow"),
                    env.getOrDefault("VMFLOW_COORDINATOR_JWT_ROLES_CLAIM", "roles"));
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "VMFLOW_COORDINATOR_JWT_KEYS: cannot read verification keys from " + keys + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Where the HTTP API's TLS credentials are: VMFLOW_COORDINATOR_HTTP_TLS_DIR, else the coordinator's
     * own Kafka principal directory; null (plain HTTP) only with VMFLOW_COORDINATOR_HTTP_TLS_DIR=off or
     * with Kafka's plaintext development switch.
     */
    static java.nio.file.Path httpTls(Map<String, String> env, Endpoints endpoints) {
        String dir = env.get("VMFLOW_COORDINATOR_HTTP_TLS_DIR");
        if ("off".equals(dir)) {
            return null;
        }
        java.nio.file.Path p = dir == null || dir.isBlank() ? endpoints.tlsDir() : java.nio.file.Path.of(dir);
        if (p == null) {
            return null;
        }
        for (String f : java.util.List.of("cert.pem", "key.pem", "ca.crt")) {
            if (!java.nio.file.Files.isReadable(p.resolve(f))) {
                throw new IllegalArgumentException("the HTTP API serves TLS with the certificate in " + p
                        + " but cannot read " + p.resolve(f) + ": set VMFLOW_COORDINATOR_HTTP_TLS_DIR to an"
                        + " ops/pki.sh principal directory (cert.pem, key.pem, ca.crt), or 'off' for development");
            }
        }
        return p;
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("limits", "outbound " + outboundPerHost + ", inbound " + inboundPerHost + ", cluster " + clusterWide);
        m.put("lease", "renew every " + leaseInterval + ", ttl " + leaseTtl + ", grace " + leaseGrace);
        m.put("deadlines", "step " + stepTimeout + ", queue " + queueTimeout);
        m.put(
                "http",
                http == null
                        ? "off"
                        : httpTls == null
                                ? "http://" + http + " (PLAIN HTTP, development only)"
                                : "https://" + http + " (TLS 1.3 with " + httpTls + "; client certificates of its CA)");
        m.put("management", management == null ? "off" : management);
        m.put("destinations", destinations.describe());
        m.put(
                "http auth",
                http == null
                        ? "-"
                        : httpTokens == null
                                ? "OFF (development only)"
                                : "bearer JWT: " + httpTokens.keys().size() + " key(s), audience "
                                        + httpTokens.audience() + ", issuer "
                                        + (httpTokens.issuer() == null ? "any" : httpTokens.issuer()));
        m.put("kafka", endpoints.bootstrapServers());
        m.put("registry", endpoints.registryUrl());
        return m;
    }

    private static long number(Map<String, String> env, String key, long dflt) {
        String v = env.get(key);
        try {
            return v == null ? dflt : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "-");
        } catch (UnknownHostException e) {
            return "local";
        }
    }
}
