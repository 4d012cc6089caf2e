package io.vmflow.coordinator.engine;

import io.vmflow.avro.MigrationEvent;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * CloudEvents 1.0 Kafka protocol binding, binary mode: every audit-log record also says what it is in
 * {@code ce_*} headers, so event routers and auditors that speak CloudEvents read it without vmflow's
 * code (the value stays the Confluent-wire-format Avro record).
 */
final class CloudEvents {

    static final String TYPE_PREFIX = "io.vmflow.migration.phase.";

    private CloudEvents() {}

    static void addHeaders(Headers h, MigrationEvent e, String coordinatorId) {
        put(h, "ce_specversion", "1.0");
        put(h, "ce_id", e.getEventId());
        put(h, "ce_source", "/vmflow/coordinator/" + coordinatorId);
        put(h, "ce_type", TYPE_PREFIX + e.getPhase().name().toLowerCase());
        put(h, "ce_time", e.getOccurredAt().toString());
        put(h, "ce_subject", e.getMigrationId());
        put(h, "content-type", "application/avro");
    }

    private static void put(Headers h, String key, String value) {
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
