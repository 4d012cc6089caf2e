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
 * <p>Each host has topics of its own, made from templates when it joins (its agent creates them):
 * its commands ({@link #hostCommands(String)}), which the coordinator alone writes and only its agent
 * reads; and its reports ({@link #hostReports(String)}), state ({@link #hostState(String)}), peer
 * commands ({@link #peerCommands(String)}, what it asks of its peer as a peer-to-peer source) and
 * tunnel sessions ({@link #tunnelSessions(String)}, the relay streams it authorises as a source),
 * which only its agent writes. So the broker's ACLs, not the readers' good faith, keep a host from
 * reading another's commands or speaking for another host; readers of every host's reports, state, peer
 * commands or tunnel sessions follow the topics' pattern, and believe a record only from the host whose topic it is on.
 */
public final class TopicCatalogue {

    private static final Map<String, String> FOREVER = Map.of("retention.ms", "-1");
    private static final Map<String, String> WEEK = Map.of("retention.ms", Long.toString(7 * 24L * 3600 * 1000));

    /**
     * Compacted topics are read from their start by every reader that starts (the coordinator's
     * inventory, snapshots and leases; agents' and relays' views), and Kafka compacts only closed
     * segments: a segment closes after ten minutes, so a start reads at most ten minutes of history
     * beside each key's last record (with a day, a host's heartbeat every 5 s left 17,280 records a day
     * to replay per host).
     */
    private static final Map<String, String> COMPACTED = Map.of(
            "cleanup.policy", "compact",
            "min.compaction.lag.ms", "0",
            "segment.ms", Long.toString(10 * 60 * 1000L));

    /**
     * What every per-host topic adds: a 64 KiB index per segment instead of Kafka's 10 MiB. A host's
     * topics carry little (a segment still holds about 32 MiB before its index fills and it rolls), and
     * a fleet has thousands of them: the broker maps each partition's index files at their full size,
     * and the first write to a sparse one faults in up to the disk's read-ahead of zeroes (8 MiB here:
     * 60% of the broker's CPU went to that memset while 100 new hosts' topics took their first records).
     */
    private static Map<String, String> perHost(Map<String, String> config) {
        return with(config, "segment.index.bytes", Integer.toString(64 * 1024));
    }

    private static Map<String, String> with(Map<String, String> config, String key, String value) {
        Map<String, String> c = new LinkedHashMap<>(config);
        c.put(key, value);
        return Map.copyOf(c);
    }

    /** Migration requests from any producer (HTTP API, CLI, schedulers). Key: request id. */
    public static final Topic MIGRATION_REQUESTS =
            new Topic("vmflow.migration-requests", 3, WEEK, "request id", MigrationRequest.class, "requesters");

    /** Cancel requests. Key: migration id. */
    public static final Topic CANCEL_REQUESTS =
            new Topic("vmflow.cancel-requests", 3, WEEK, "migration id", CancelRequest.class, "requesters");

    /** The audit log: every phase transition, kept forever. Key: migration id. */
    public static final Topic MIGRATION_EVENTS =
            new Topic("vmflow.migration-events", 3, FOREVER, "migration id", MigrationEvent.class, "coordinator");

    /**
     * The coordinator's state of each migration, compacted, written with its events. Key: migration id.
     * An engine restores from it on every start, so a segment also closes at 16 MiB: after a burst of
     * migrations the cleaner need not wait ten minutes to shorten the next restore.
     */
    public static final Topic MIGRATION_SNAPSHOTS = new Topic(
            "vmflow.migration-snapshots",
            3,
            with(COMPACTED, "segment.bytes", Integer.toString(16 << 20)),
            "migration id",
            MigrationSnapshot.class,
            "coordinator");

    /** Coordinators' leases over the managed-direct migrations they drive, compacted. Key: coordinator id. */
    public static final Topic COORDINATOR_LEASES = new Topic(
            "vmflow.coordinator-leases", 1, COMPACTED, "coordinator id", CoordinatorLease.class, "coordinator");

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
            "vmflow.host-commands.{host}", 1, perHost(WEEK), "migration id", HostCommand.class, "the coordinator");

    /**
     * The shape of every per-host peer-command topic: the PREPARE and FINISH a peer-to-peer source
     * agent sends its destination's agent, written by the source's agent alone and read by every agent
     * (each takes those addressed to it, and only for migrations whose source is the topic's host).
     */
    public static final Topic PEER_COMMANDS_TEMPLATE = new Topic(
            "vmflow.peer-commands.{host}",
            1,
            perHost(WEEK),
            "migration id",
            HostCommand.class,
            "that host's agent, as a peer-to-peer source");

    /**
     * The shape of every per-host report topic: command outcomes, progress samples, lifecycle
     * observations, written by that host's agent alone. Three partitions keyed like requests, so the
     * coordinator instance that owns a migration's request partition owns its reports' too.
     */
    public static final Topic HOST_REPORTS_TEMPLATE = new Topic(
            "vmflow.host-reports.{host}",
            3,
            perHost(WEEK),
            "migration id (host id when about no migration)",
            HostReport.class,
            "that host's agent");

    /** The shape of every per-host state topic: the host's latest state and heartbeat, compacted. */
    public static final Topic HOST_STATE_TEMPLATE = new Topic(
            "vmflow.host-state.{host}", 1, perHost(COMPACTED), "host id", HostState.class, "that host's agent");

    /**
     * The shape of every per-host tunnel-session topic: the sessions that host's agent, as a tunnelled
     * migration's source, authorises on its coordinator's command. Written by that agent alone, read by
     * every relay (each acts on those naming its host, and believes only sessions whose source is the
     * topic's host).
     */
    public static final Topic TUNNEL_SESSIONS_TEMPLATE = new Topic(
            "vmflow.tunnel-sessions.{host}",
            1,
            perHost(WEEK),
            "migration id",
            TunnelSession.class,
            "that host's agent, as a tunnelled migration's source");

    /** Every per-host topic template. */
    public static final List<Topic> PER_HOST = List.of(
            HOST_COMMANDS_TEMPLATE,
            HOST_REPORTS_TEMPLATE,
            HOST_STATE_TEMPLATE,
            PEER_COMMANDS_TEMPLATE,
            TUNNEL_SESSIONS_TEMPLATE);

    /** Every fixed topic, in creation order. */
    public static final List<Topic> FIXED = List.of(
            MIGRATION_REQUESTS,
            CANCEL_REQUESTS,
            MIGRATION_EVENTS,
            MIGRATION_SNAPSHOTS,
            COORDINATOR_LEASES,
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
        return forHost(HOST_COMMANDS_TEMPLATE, hostId);
    }

    /** The peer-command topic of one host (only its agent writes there, as a peer-to-peer source). */
    public static Topic peerCommands(String hostId) {
        return forHost(PEER_COMMANDS_TEMPLATE, hostId);
    }

    /** The tunnel-session topic of one host (only its agent writes there, as a tunnelled migration's source). */
    public static Topic tunnelSessions(String hostId) {
        return forHost(TUNNEL_SESSIONS_TEMPLATE, hostId);
    }

    /** The report topic of one host (only its agent writes there). */
    public static Topic hostReports(String hostId) {
        return forHost(HOST_REPORTS_TEMPLATE, hostId);
    }

    /** The state topic of one host (only its agent writes there). */
    public static Topic hostState(String hostId) {
        return forHost(HOST_STATE_TEMPLATE, hostId);
    }

    /** One host's topic of a per-host template. */
    public static Topic forHost(Topic template, String hostId) {
        if (!isValidHostId(hostId)) {
            throw new IllegalArgumentException("invalid host id '" + hostId
                    + "': use letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters");
        }
        return new Topic(
                template.name().replace("{host}", hostId),
                template.partitions(),
                template.config(),
                template.key(),
                template.valueType(),
                template.writer());
    }

    /** The prefix every topic of a per-host template starts with (as ACLs name them). */
    public static String prefixOf(Topic template) {
        return template.name().replace("{host}", "");
    }

    /** Every host's topic of a per-host template, as a pattern (for readers of all hosts). */
    public static Pattern everyHost(Topic template) {
        return Pattern.compile(Pattern.quote(prefixOf(template)) + HOST_ID.pattern());
    }

    /** Whether a record naming this host may be believed on this topic: it is that host's own. */
    public static boolean isHostsOwn(Topic template, String topicName, String hostId) {
        return hostOf(template, topicName).map(h -> h.equals(hostId)).orElse(false);
    }

    /** The host whose topic of this template a topic name is, or empty. */
    public static Optional<String> hostOf(Topic template, String topicName) {
        String prefix = prefixOf(template);
        return topicName.startsWith(prefix) && isValidHostId(topicName.substring(prefix.length()))
                ? Optional.of(topicName.substring(prefix.length()))
                : Optional.empty();
    }

    /** The fixed topics plus the per-host topics of the given hosts. */
    public static List<Topic> all(List<String> hostIds) {
        Map<String, Topic> byName = new LinkedHashMap<>();
        FIXED.forEach(t -> byName.put(t.name(), t));
        for (String h : hostIds) {
            PER_HOST.forEach(template -> byName.put(forHost(template, h).name(), forHost(template, h)));
        }
        return List.copyOf(byName.values());
    }

    /** The catalogue entry for a topic name, including per-host command topics. */
    public static Optional<Topic> byName(String name) {
        for (Topic t : FIXED) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        for (Topic template : PER_HOST) {
            Optional<String> host = hostOf(template, name);
            if (host.isPresent()) {
                return Optional.of(forHost(template, host.get()));
            }
        }
        return Optional.empty();
    }
}
