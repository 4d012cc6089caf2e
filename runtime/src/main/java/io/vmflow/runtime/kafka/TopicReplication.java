package io.vmflow.runtime.kafka;

import io.vmflow.schemas.topics.Topic;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * How many copies of each vmflow topic the brokers keep, and how many must hold a write before it
 * counts (producers write with acks=all): from {@code VMFLOW_KAFKA_REPLICATION_FACTOR} (default 1, one
 * broker) and {@code VMFLOW_KAFKA_MIN_INSYNC_REPLICAS} (default 2 from three copies up, else 1), so
 * that with three brokers one can die and nothing is lost or refused.
 */
public record TopicReplication(short replicationFactor, int minInsyncReplicas) {

    public static final String FACTOR = "VMFLOW_KAFKA_REPLICATION_FACTOR";
    public static final String MIN_INSYNC = "VMFLOW_KAFKA_MIN_INSYNC_REPLICAS";

    public TopicReplication {
        if (replicationFactor < 1 || replicationFactor > 15) {
            throw new IllegalArgumentException(FACTOR + " must be 1 to 15, got " + replicationFactor);
        }
        if (minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor) {
            throw new IllegalArgumentException(
                    MIN_INSYNC + " must be 1 to " + FACTOR + " (" + replicationFactor + "), got " + minInsyncReplicas);
        }
    }

    public static TopicReplication fromEnvironment() {
        return from(System.getenv());
    }

    static TopicReplication from(Map<String, String> env) {
        int factor = number(env, FACTOR, 1);
        return new TopicReplication((short) factor, number(env, MIN_INSYNC, factor >= 3 ? 2 : 1));
    }

    /** The topic as the brokers should create it: the catalogue's partitions and settings, these copies. */
    public NewTopic newTopic(Topic t) {
        Map<String, String> config = new HashMap<>(t.config());
        config.put("min.insync.replicas", Integer.toString(minInsyncReplicas));
        return new NewTopic(t.name(), Optional.of(t.partitions()), Optional.of(replicationFactor)).configs(config);
    }

    private static int number(Map<String, String> env, String key, int dflt) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }
}
