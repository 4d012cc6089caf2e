package io.vmflow.runtime.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Where Kafka and the schema registry are, and who this program is to Kafka, as every vmflow program
 * finds them: the environment variables {@code KAFKA_BOOTSTRAP_SERVERS}, {@code SCHEMA_REGISTRY_URL}
 * and {@code VMFLOW_KAFKA_TLS_DIR}, else the system properties {@code kafka.bootstrap.servers},
 * {@code schema.registry.url} and {@code vmflow.kafka.tls.dir}, else the embedded default's loopback
 * addresses. Also the client settings the design asks for: idempotent producers with acks=all,
 * consumers that commit by hand and read only committed records.
 *
 * <p>Kafka is spoken over mutual TLS: the TLS directory is one principal's from ops/pki.sh
 * ({@code ca.crt}, and {@code keystore.pem} with its key and certificate), and the brokers' ACLs decide
 * what that principal may do. Plaintext needs {@code VMFLOW_KAFKA_PLAINTEXT=true}, a development switch
 * that is logged as a warning; with neither, a program refuses to start.
 *
 * @param bootstrapServers Kafka's bootstrap servers
 * @param registryUrl      the Confluent-compatible REST root of the schema registry
 * @param tlsDir           the principal's directory, or null for plaintext
 */
public record Endpoints(String bootstrapServers, String registryUrl, Path tlsDir) {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Endpoints.class);

    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
    public static final String DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";
    /** The local stack's registry with TLS (what it serves unless it runs with the plaintext switch). */
    public static final String DEFAULT_TLS_REGISTRY_URL = "https://127.0.0.1:8081/apis/ccompat/v7";

    /** Plaintext endpoints (unit tests, and the development switch). */
    public Endpoints(String bootstrapServers, String registryUrl) {
        this(bootstrapServers, registryUrl, null);
    }

    public Endpoints {
        if (tlsDir != null) {
            for (String f : List.of("ca.crt", "keystore.pem")) {
                if (!Files.isReadable(tlsDir.resolve(f))) {
                    throw new IllegalArgumentException("cannot read " + tlsDir.resolve(f)
                            + ": VMFLOW_KAFKA_TLS_DIR must be a principal's directory from ops/pki.sh"
                            + " (ca.crt, keystore.pem)");
                }
            }
        }
    }

    /** The endpoints from this process's environment. */
    public static Endpoints fromEnvironment() {
        return from(System.getenv(), System.getProperties());
    }

    static Endpoints from(Map<String, String> env, Properties sys) {
        String tls = pick(env.get("VMFLOW_KAFKA_TLS_DIR"), sys.getProperty("vmflow.kafka.tls.dir"), null);
        boolean plaintext =
                "true".equals(pick(env.get("VMFLOW_KAFKA_PLAINTEXT"), sys.getProperty("vmflow.kafka.plaintext"), null));
        if (tls == null && !plaintext) {
            throw new IllegalArgumentException("Kafka is spoken over mutual TLS: set VMFLOW_KAFKA_TLS_DIR to this"
                    + " program's principal directory (ops/pki.sh DIR issue ROLE NAME makes one), or"
                    + " VMFLOW_KAFKA_PLAINTEXT=true for a development broker without TLS");
        }
        if (tls != null && plaintext) {
            throw new IllegalArgumentException(
                    "VMFLOW_KAFKA_TLS_DIR and VMFLOW_KAFKA_PLAINTEXT=true contradict each other: set one");
        }
        if (plaintext) {
            LOG.warn("VMFLOW_KAFKA_PLAINTEXT=true: Kafka without TLS or authentication, for development only;"
                    + " anyone who reaches the broker can forge commands and read every migration");
        }
        return new Endpoints(
                pick(
                        env.get("KAFKA_BOOTSTRAP_SERVERS"),
                        sys.getProperty("kafka.bootstrap.servers"),
                        DEFAULT_BOOTSTRAP_SERVERS),
                pick(
                        env.get("SCHEMA_REGISTRY_URL"),
                        sys.getProperty("schema.registry.url"),
                        tls == null ? DEFAULT_REGISTRY_URL : DEFAULT_TLS_REGISTRY_URL),
                tls == null ? null : Path.of(tls));
    }

    /**
     * A client of the schema registry; over HTTPS it trusts this principal's CA and presents its
     * certificate (the registry takes only vmflow's principals).
     */
    public io.vmflow.runtime.registry.SchemaRegistryClient registry() {
        boolean https = registryUrl.startsWith("https:");
        if (https && tlsDir == null) {
            throw new IllegalArgumentException("the schema registry " + registryUrl + " speaks TLS, which needs a"
                    + " principal's certificate: set VMFLOW_KAFKA_TLS_DIR (or an http:// SCHEMA_REGISTRY_URL for"
                    + " a development registry)");
        }
        return new io.vmflow.runtime.registry.SchemaRegistryClient(
                registryUrl, https ? io.vmflow.runtime.security.PemTls.client(tlsDir) : null);
    }

    /** The same endpoints as another principal (its directory from ops/pki.sh). */
    public Endpoints as(Path principalDir) {
        return new Endpoints(bootstrapServers, registryUrl, principalDir);
    }

    /** How this program authenticates to Kafka, for logs: a path, never key material. */
    public String security() {
        return tlsDir == null ? "PLAINTEXT (development switch)" : "mutual TLS as " + tlsDir;
    }

    private static String pick(String env, String sys, String dflt) {
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        if (sys != null && !sys.isBlank()) {
            return sys.trim();
        }
        return dflt;
    }

    /** An idempotent, acks=all producer of string keys and byte values (values encoded by {@code WireFormat}). */
    public Properties producer(String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        secure(p);
        metricsInProcessOnly(p);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /**
     * A transactional producer's settings (for read-process-write loops). Its retry back-off is 5 ms, not
     * Kafka's 100: a transaction that follows another at once asks the coordinator to add the consumed
     * offsets while the previous one's markers are still being written, is told CONCURRENT_TRANSACTIONS,
     * and the client waits the back-off before asking again (only the first AddPartitionsToTxn retry is
     * shortened, to 20 ms). Measured here back to back: a mean of 9-21 ms per transaction instead of
     * 22-42 ms, and a p90 of 13-32 ms instead of 89-127 ms. Retries still back off exponentially to
     * {@code retry.backoff.max.ms} (1 s) when the broker is away.
     */
    public Properties transactionalProducer(String clientId, String transactionalId) {
        Properties p = producer(clientId);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        return p;
    }

    /** A consumer of string keys and byte values that commits by hand and skips aborted transactions. */
    public Properties consumer(String groupId, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        secure(p);
        metricsInProcessOnly(p);
        if (groupId != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /**
     * Consumer settings for the one member a group ever has (an agent's or a relay's, named after its
     * host): static membership, so that the process started again after a crash takes its partitions
     * back at once instead of waiting for the dead member's session to expire; a second process started
     * under the same name fences the first. The session is 10 s rather than Kafka's 45: a member killed
     * while it was still joining holds the group (and so every command to its host) until its session
     * expires, and the crash matrix measured that stall; with one member, an expiry costs nothing else.
     */
    public Properties soleMember(String groupId, String clientId) {
        Properties p = consumer(groupId, clientId);
        p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, groupId);
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        return p;
    }

    /**
     * A client's metrics stay in the client, where the services' meters read them ({@code metrics()}):
     * no JMX reporter and no pushing them to the broker (KIP-714). Both are told of every metric a client
     * registers, and a client reading or writing thousands of per-host partitions registers metrics for
     * each: in the coordinator at 1,000 hosts that was a visible share of a restart's CPU.
     */
    private static void metricsInProcessOnly(Properties p) {
        p.put(CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG, "");
        p.put(CommonClientConfigs.ENABLE_METRICS_PUSH_CONFIG, false);
    }

    /** Admin client settings. */
    public Properties admin() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        secure(p);
        return p;
    }

    /** The TLS settings every client gets: TLS 1.3, the CA from the principal's directory, its key and chain. */
    private void secure(Properties p) {
        if (tlsDir == null) {
            return;
        }
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        p.put(SslConfigs.SSL_PROTOCOL_CONFIG, "TLSv1.3");
        p.put(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG, "TLSv1.3");
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(
                SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
                tlsDir.resolve("ca.crt").toString());
        p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        p.put(
                SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG,
                tlsDir.resolve("keystore.pem").toString());
    }
}
