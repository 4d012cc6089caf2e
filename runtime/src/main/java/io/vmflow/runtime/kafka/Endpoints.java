package io.vmflow.runtime.kafka;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Where Kafka and the schema registry are, as every vmflow program finds them: the environment
 * variables {@code KAFKA_BOOTSTRAP_SERVERS} and {@code SCHEMA_REGISTRY_URL}, else the system
 * properties {@code kafka.bootstrap.servers} and {@code schema.registry.url}, else the embedded
 * default's loopback addresses. Also the client settings the design asks for: idempotent producers
 * with acks=all, consumers that commit by hand and read only committed records.
 *
 * @param bootstrapServers Kafka's bootstrap servers
 * @param registryUrl      the Confluent-compatible REST root of the schema registry
 */
public record Endpoints(String bootstrapServers, String registryUrl) {

    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
    public static final String DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";

    /** The endpoints from this process's environment. */
    public static Endpoints fromEnvironment() {
        return from(System.getenv(), System.getProperties());
    }

    static Endpoints from(Map<String, String> env, Properties sys) {
        return new Endpoints(
                pick(
                        env.get("KAFKA_BOOTSTRAP_SERVERS"),
                        sys.getProperty("kafka.bootstrap.servers"),
                        DEFAULT_BOOTSTRAP_SERVERS),
                pick(env.get("SCHEMA_REGISTRY_URL"), sys.getProperty("schema.registry.url"), DEFAULT_REGISTRY_URL));
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
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** A consumer of string keys and byte values that commits by hand and skips aborted transactions. */
    public Properties consumer(String groupId, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
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
     * back at once instead of waiting for the dead member's session to expire (45 s by default); a second
     * process started under the same name fences the first.
     */
    public Properties soleMember(String groupId, String clientId) {
        Properties p = consumer(groupId, clientId);
        p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, groupId);
        return p;
    }

    /** Admin client settings. */
    public Properties admin() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        return p;
    }
}
