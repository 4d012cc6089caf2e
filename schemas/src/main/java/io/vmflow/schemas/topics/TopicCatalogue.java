package io.vmflow.schemas.topics;

import io.vmflow.avro.CancelRequest;
import io.vmflow.avro.CoordinatorLease;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.HostReport;
import io.vmflow.avro.HostState;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSnapshot;
import io.vmflow.avro.TunnelReport;
import io.vmflow.avro.TunnelSession;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one list of vmflow's topics. Code and the topic-creation command both read it; no topic name
 * is written anywhere else. Immutable: every constant is final and every collection unmodifiable.
 *
 * <p>Host commands go to one topic per host ({@link #hostCommands(String)}), so an agent reads only
 * its own commands; those topics are created from the {@link #HOST_COMMANDS_TEMPLATE} when a host
 * joins.
 */
public final class TopicCatalogue {

    private static final String DAY_MS = Long.toString(24L * 3600 * 1000);
    private static final Map<String, String> FOREVER = Map.of("retention.ms", "-1");
    private static final Map<String, String> WEEK = Map.of("retention.ms", Long.toString(7 * 24L * 3600 * 1000));
    private static final Map<String, String> COMPACTED = Map.of(
            "cleanup.policy", "compact",
            "min.compaction.lag.ms", "0",
            "segment.ms", DAY_MS);

    /** Migration requests from any producer (HTTP API, CLI, schedulers). Key: request id. */
    public static final Topic MIGRATION_REQUESTS =
            new Topic("vmflow.migration-requests", 3, WEEK, "request id", MigrationRequest.class, "requesters");

    /** Cancel requests. Key: migration id. */
    public static final Topic CANCEL_REQUESTS =
            new Topic("vmflow.cancel-requests", 3, WEEK, "migration id", CancelRequest.class, "requesters");

    /** The audit log: every phase transition, kept forever. Key: migration id. */
    public static final Topic MIGRATION_EVENTS =
            new Topic("vmflow.migration-events", 3, FOREVER, "migration id", MigrationEvent.class, "coordinator");

    /** The coordinator's state of each migration, compacted, written with its events. Key: migration id. */
    public static final Topic MIGRATION_SNAPSHOTS = new Topic(
            "vmflow.migration-snapshots", 3, COMPACTED, "migration id", MigrationSnapshot.class, "coordinator");

    /** Agent reports: command outcomes, progress samples, lifecycle observations. Key: migration id, or host id. */
    public static final Topic HOST_REPORTS = new Topic(
            "vmflow.host-reports",
            3,
            WEEK,
            "migration id (host id when about no migration)",
            HostReport.class,
            "host agents");

    /** Each host's latest state and heartbeat, compacted. Key: host id. */
    public static final Topic HOST_STATE =
            new Topic("vmflow.host-state", 1, COMPACTED, "host id", HostState.class, "host agents");

    /** Coordinators' leases over the managed-direct migrations they drive, compacted. Key: coordinator id. */
    public static final Topic COORDINATOR_LEASES = new Topic(
            "vmflow.coordinator-leases", 1, COMPACTED, "coordinator id", CoordinatorLease.class, "coordinator");

    /** Tunnel sessions the control plane authorises (each read by the two relays it names). Key: migration id. */
    public static final Topic TUNNEL_SESSIONS = new Topic(
            "vmflow.tunnel-sessions",
            1,
            WEEK,
            "migration id",
            TunnelSession.class,
            "source host agents, on their coordinator's command");

    /** What relays saw: sessions opened, first byte, closed, refused connections. Key: migration id, or host id. */
    public static final Topic TUNNEL_REPORTS = new Topic(
            "vmflow.tunnel-reports",
            3,
            WEEK,
            "migration id (host id for refused connections)",
            TunnelReport.class,
            "transport relays");

    /** Records that could not be decoded or validated, as they were, with the reason in headers. */
    public static final Topic DEAD_LETTER =
            new Topic("vmflow.dead-letter", 1, FOREVER, "the original key", null, "any consumer");

    /**
     * Events written by {@code vmflow roundtrip} to prove a stack works end to end (broker, registry,
     * wire format) without touching the audit log. Read by nobody else; kept an hour.
     */
    public static final Topic SMOKE_TEST = new Topic(
            "vmflow.smoke-test",
            1,
            Map.of("retention.ms", Long.toString(3600L * 1000)),
            "migration id",
            MigrationEvent.class,
            "vmflow roundtrip");

    /** The shape of every per-host command topic; {@link #hostCommands(String)} gives one host's. */
    public static final Topic HOST_COMMANDS_TEMPLATE = new Topic(
            "vmflow.host-commands.{host}",
            1,
            WEEK,
            "migration id",
            HostCommand.class,
            "coordinator, and source agents in peer-to-peer");

    /** Every fixed topic, in creation order. */
    public static final List<Topic> FIXED = List.of(
            MIGRATION_REQUESTS,
            CANCEL_REQUESTS,
            MIGRATION_EVENTS,
            MIGRATION_SNAPSHOTS,
            HOST_REPORTS,
            HOST_STATE,
            COORDINATOR_LEASES,
            TUNNEL_SESSIONS,
            TUNNEL_REPORTS,
            DEAD_LETTER,
            SMOKE_TEST);

    private static final Pattern HOST_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

    private TopicCatalogue() {}

    /** Whether a host id can name a command topic (letters, digits, '_' and '-', up to 63 characters). */
    public static boolean isValidHostId(String hostId) {
        return hostId != null && HOST_ID.matcher(hostId).matches();
    }

    /** The command topic of one host. */
    public static Topic hostCommands(String hostId) {
        if (!isValidHostId(hostId)) {
            throw new IllegalArgumentException("invalid host id '" + hostId
                    + "': use letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters");
        }
        Topic t = HOST_COMMANDS_TEMPLATE;
        return new Topic(
                t.name().replace("{host}", hostId), t.partitions(), t.config(), t.key(), t.valueType(), t.writer());
    }

    /** The fixed topics plus the command topics of the given hosts. */
    public static List<Topic> all(List<String> hostIds) {
        Map<String, Topic> byName = new LinkedHashMap<>();
        FIXED.forEach(t -> byName.put(t.name(), t));
        hostIds.forEach(h -> byName.put(hostCommands(h).name(), hostCommands(h)));
        return List.copyOf(byName.values());
    }

    /** The catalogue entry for a topic name, including per-host command topics. */
    public static Optional<Topic> byName(String name) {
        for (Topic t : FIXED) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        String prefix = HOST_COMMANDS_TEMPLATE.name().replace("{host}", "");
        if (name.startsWith(prefix) && isValidHostId(name.substring(prefix.length()))) {
            return Optional.of(hostCommands(name.substring(prefix.length())));
        }
        return Optional.empty();
    }
}
