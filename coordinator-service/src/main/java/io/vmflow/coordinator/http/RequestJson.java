package io.vmflow.coordinator.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.JobFigures;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** JSON of the HTTP API to and from the contract's records (bodies are checked first, by {@link RequestSchema}). */
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

    static JsonObject spec(MigrationSpec s) {
        return new JsonObject()
                .put("guest", s.getGuest())
                .put("sourceHost", s.getSourceHost())
                .put("destinationHost", s.getDestinationHost())
                .put("controlFlow", s.getControlFlow().name())
                .put("transport", s.getTransport().name())
                .put("sourceUri", s.getSourceUri())
                .put("destinationUri", s.getDestinationUri())
                .put("migrationUri", s.getMigrationUri())
                .put("live", s.getLive())
                .put("persistDest", s.getPersistDest())
                .put("undefineSource", s.getUndefineSource())
                .put("bandwidthMiBps", s.getBandwidthMiBps())
                .put("maxDowntimeMs", s.getMaxDowntimeMs())
                .put("completionTimeoutSecondsPerGiB", s.getCompletionTimeoutSecondsPerGiB())
                .put("autoConverge", s.getAutoConverge())
                .put("postCopy", s.getPostCopy())
                .put("tls", s.getTls())
                .put("onTimeout", s.getOnTimeout().name());
    }

    static JsonObject reason(Reason r) {
        return r == null ? null : new JsonObject().put("code", r.getCode()).put("message", r.getMessage());
    }

    static JsonObject figures(JobFigures f) {
        if (f == null) {
            return null;
        }
        return new JsonObject()
                .put("elapsedMs", f.getElapsedMs())
                .put("dataTotalBytes", f.getDataTotalBytes())
                .put("dataProcessedBytes", f.getDataProcessedBytes())
                .put("dataRemainingBytes", f.getDataRemainingBytes())
                .put("memoryBandwidthBytesPerSecond", f.getMemoryBandwidthBytesPerSecond())
                .put("dirtyRatePagesPerSecond", f.getDirtyRatePagesPerSecond())
                .put("iteration", f.getIteration())
                .put("downtimeMs", f.getDowntimeMs());
    }

    static JsonObject event(MigrationEvent e) {
        return new JsonObject()
                .put("migrationId", e.getMigrationId())
                .put("sequence", e.getSequence())
                .put(
                        "previousPhase",
                        e.getPreviousPhase() == null
                                ? null
                                : e.getPreviousPhase().name())
                .put("phase", e.getPhase().name())
                .put("occurredAt", e.getOccurredAt().toString())
                .put("actor", e.getActor().name())
                .put("actorId", e.getActorId())
                .put("hostId", e.getHostId())
                .put("principal", e.getPrincipal())
                .put("reason", reason(e.getReason()))
                .put("figures", figures(e.getFigures()))
                .put("progressPercent", e.getProgressPercent());
    }

    static JsonArray events(List<MigrationEvent> l) {
        JsonArray a = new JsonArray();
        l.forEach(e -> a.add(event(e)));
        return a;
    }
}
