package io.vmflow.coordinator.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.runtime.json.RecordJson;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * JSON of the HTTP API to and from the contract's records (bodies are checked first, by {@link RequestSchema});
 * the answers' shapes are {@link RecordJson}'s, which the CLI reads too.
 */
final class RequestJson {

    private RequestJson() {}

    /** A body {@link RequestSchema} accepted, as the contract's record (defaults as openapi.yaml says). */
    static MigrationRequest request(JsonObject j, String principal) {
        MigrationSpec spec = MigrationSpec.newBuilder()
                .setGuest(j.getString("guest"))
                .setSourceHost(j.getString("sourceHost"))
                .setDestinationHost(j.getString("destinationHost"))
                .setControlFlow(
                        ControlFlow.valueOf(j.getString("controlFlow", ControlFlow.MANAGED_PEER_TO_PEER.name())))
                .setTransport(Transport.valueOf(j.getString("transport", Transport.NATIVE.name())))
                .setSourceUri(j.getString("sourceUri"))
                .setDestinationUri(j.getString("destinationUri"))
                .setMigrationUri(j.getString("migrationUri"))
                .setLive(j.getBoolean("live", true))
                .setPersistDest(j.getBoolean("persistDest", false))
                .setUndefineSource(j.getBoolean("undefineSource", false))
                .setBandwidthMiBps(j.getLong("bandwidthMiBps"))
                .setMaxDowntimeMs(j.getLong("maxDowntimeMs"))
                .setCompletionTimeoutSecondsPerGiB(j.getLong("completionTimeoutSecondsPerGiB"))
                .setAutoConverge(j.getBoolean("autoConverge", false))
                .setPostCopy(j.getBoolean("postCopy", false))
                .setTls(j.getBoolean("tls", false))
                .setOnTimeout(TimeoutPolicy.valueOf(j.getString("onTimeout", TimeoutPolicy.ABORT.name())))
                .build();
        String id = j.getString("requestId");
        Long priority = j.getLong("priority");
        return new MigrationRequest(
                id != null ? id : "mig-" + UUID.randomUUID().toString().substring(0, 8),
                spec,
                principal,
                "http",
                j.getString("reason"),
                priority == null ? 0 : priority.intValue(),
                Instant.now());
    }

    static JsonObject event(MigrationEvent e) {
        return new JsonObject(RecordJson.of(e));
    }

    static JsonArray events(List<MigrationEvent> l) {
        JsonArray a = new JsonArray();
        l.forEach(e -> a.add(event(e)));
        return a;
    }
}
