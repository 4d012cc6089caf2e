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
import java.util.Set;
import java.util.UUID;

/** JSON of the HTTP API to and from the contract's records, with errors that name the field. */
final class RequestJson {

    static final Set<String> FIELDS = Set.of(
            "requestId",
            "guest",
            "sourceHost",
            "destinationHost",
            "controlFlow",
            "transport",
            "sourceUri",
            "destinationUri",
            "migrationUri",
            "live",
            "persistDest",
            "undefineSource",
            "bandwidthMiBps",
            "maxDowntimeMs",
            "completionTimeoutSecondsPerGiB",
            "autoConverge",
            "postCopy",
            "onTimeout",
            "priority",
            "reason");

    /** A bad body: the message says which field and what is expected. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    private RequestJson() {}

    static MigrationRequest request(JsonObject j, String principal) throws BadRequest {
        for (String k : j.fieldNames()) {
            if (!FIELDS.contains(k)) {
                throw new BadRequest("unknown field '" + k + "'; the fields are " + new java.util.TreeSet<>(FIELDS));
            }
        }
        MigrationSpec spec = MigrationSpec.newBuilder()
                .setGuest(required(j, "guest"))
                .setSourceHost(required(j, "sourceHost"))
                .setDestinationHost(string(j, "destinationHost"))
                .setControlFlow(enumOf(j, "controlFlow", ControlFlow.class, ControlFlow.MANAGED_PEER_TO_PEER))
                .setTransport(enumOf(j, "transport", Transport.class, Transport.NATIVE))
                .setSourceUri(string(j, "sourceUri"))
                .setDestinationUri(string(j, "destinationUri"))
                .setMigrationUri(string(j, "migrationUri"))
                .setLive(bool(j, "live", true))
                .setPersistDest(bool(j, "persistDest", false))
                .setUndefineSource(bool(j, "undefineSource", false))
                .setBandwidthMiBps(number(j, "bandwidthMiBps"))
                .setMaxDowntimeMs(number(j, "maxDowntimeMs"))
                .setCompletionTimeoutSecondsPerGiB(number(j, "completionTimeoutSecondsPerGiB"))
                .setAutoConverge(bool(j, "autoConverge", false))
                .setPostCopy(bool(j, "postCopy", false))
                .setOnTimeout(enumOf(j, "onTimeout", TimeoutPolicy.class, TimeoutPolicy.ABORT))
                .build();
        String id = string(j, "requestId");
        Long priority = number(j, "priority");
        return new MigrationRequest(
                id != null ? id : "mig-" + UUID.randomUUID().toString().substring(0, 8),
                spec,
                principal,
                "http",
                string(j, "reason"),
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

    private static String required(JsonObject j, String k) throws BadRequest {
        String v = string(j, k);
        if (v == null || v.isBlank()) {
            throw new BadRequest("'" + k + "' is required");
        }
        return v;
    }

    private static String string(JsonObject j, String k) throws BadRequest {
        Object v = j.getValue(k);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new BadRequest("'" + k + "' must be a string");
        }
        return s;
    }

    private static boolean bool(JsonObject j, String k, boolean dflt) throws BadRequest {
        Object v = j.getValue(k);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw new BadRequest("'" + k + "' must be true or false");
        }
        return b;
    }

    private static Long number(JsonObject j, String k) throws BadRequest {
        Object v = j.getValue(k);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new BadRequest("'" + k + "' must be a whole number");
        }
        return n.longValue();
    }

    private static <E extends Enum<E>> E enumOf(JsonObject j, String k, Class<E> type, E dflt) throws BadRequest {
        String v = string(j, k);
        if (v == null) {
            return dflt;
        }
        try {
            E e = Enum.valueOf(type, v);
            if (e.name().equals("UNKNOWN")) {
                throw new IllegalArgumentException();
            }
            return e;
        } catch (IllegalArgumentException ex) {
            throw new BadRequest("'" + k + "' must be one of "
                    + java.util.Arrays.stream(type.getEnumConstants())
                            .map(Enum::name)
                            .filter(n -> !n.equals("UNKNOWN"))
                            .toList());
        }
    }
}
