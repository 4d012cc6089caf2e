package io.vmflow.coordinator.observe;

import io.vmflow.avro.TunnelReport;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What the relays report of their tunnels, for the dashboard: per relay host the bytes carried,
 * streams open and connections refused, and the most recent sessions with their throughput
 * (bytes over first byte to close).
 */
public final class RelayTraffic implements AutoCloseable {

    private static final int RECENT = 50;

    /** One relay's side of one session. */
    public record Stream(
            String hostId,
            String sessionId,
            String migrationId,
            String peer,
            Instant opened,
            Instant firstByte,
            Instant closed,
            long bytes,
            String reason) {

        /** Bytes per second from first byte to close, or -1 while open or when it carried nothing. */
        public double bytesPerSecond() {
            if (closed == null || firstByte == null || bytes == 0) {
                return -1;
            }
            long ms = Math.max(1, closed.toEpochMilli() - firstByte.toEpochMilli());
            return bytes * 1000.0 / ms;
        }
    }

    /** One relay's totals. */
    public record Relay(String hostId, long bytes, int open, long refused) {}

    private static final class Totals {
        long bytes;
        long refused;
    }

    private final Map<String, Totals> totals = new TreeMap<>();
    private final Map<String, Stream> streams = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Stream> eldest) {
            return size() > RECENT;
        }
    };
    private final TopicTail<TunnelReport> tail;

    public RelayTraffic(Endpoints endpoints, WireFormat wire, String clientId, Loops loops, DeadLetters deadLetters) {
        this.tail = new TopicTail<>(
                        clientId,
                        endpoints,
                        TopicCatalogue.TUNNEL_REPORTS.name(),
                        TopicTail.From.BEGINNING,
                        wire,
                        TunnelReport.class,
                        (r, t) -> observe(t),
                        key -> {},
                        loops,
                        deadLetters)
                .start();
    }

    /** Fed by {@link #observe} alone (tests). */
    RelayTraffic() {
        this.tail = null;
    }

    synchronized void observe(TunnelReport t) {
        Totals sum = totals.computeIfAbsent(t.getHostId(), k -> new Totals());
        String key = t.getHostId() + "/" + t.getSessionId();
        Stream s = streams.getOrDefault(
                key,
                new Stream(
                        t.getHostId(), t.getSessionId(), t.getMigrationId(), t.getPeer(), null, null, null, 0, null));
        switch (t.getKind()) {
            case OPENED ->
                streams.put(
                        key,
                        new Stream(
                                s.hostId(),
                                s.sessionId(),
                                s.migrationId(),
                                s.peer(),
                                t.getReportedAt(),
                                null,
                                null,
                                0,
                                null));
            case FIRST_BYTE ->
                streams.put(
                        key,
                        new Stream(
                                s.hostId(),
                                s.sessionId(),
                                s.migrationId(),
                                s.peer(),
                                s.opened(),
                                t.getReportedAt(),
                                null,
                                0,
                                null));
            case CLOSED -> {
                streams.put(
                        key,
                        new Stream(
                                s.hostId(),
                                s.sessionId(),
                                s.migrationId(),
                                s.peer(),
                                s.opened(),
                                s.firstByte(),
                                t.getReportedAt(),
                                t.getBytes(),
                                t.getReason() == null ? null : t.getReason().getCode()));
                sum.bytes += t.getBytes();
            }
            case REFUSED -> sum.refused++;
            default -> {
                // a kind this version does not know: counted as a report, nothing else
            }
        }
    }

    /**
     * Per relay host: bytes carried by closed streams, streams open now, connections refused. A stream
     * is open until its CLOSED report or until its migration ended: a relay killed mid-stream never
     * says CLOSED, but the migration then fails.
     */
    public synchronized List<Relay> relays(Predicate<String> migrationEnded) {
        List<Relay> l = new ArrayList<>();
        totals.forEach((host, t) -> l.add(new Relay(
                host,
                t.bytes,
                (int) streams.values().stream()
                        .filter(s -> s.hostId().equals(host)
                                && s.closed() == null
                                && s.opened() != null
                                && !migrationEnded.test(s.migrationId()))
                        .count(),
                t.refused)));
        return l;
    }

    /** The most recent streams, newest first. */
    public synchronized List<Stream> recent() {
        List<Stream> l = new ArrayList<>(streams.values());
        java.util.Collections.reverse(l);
        return l;
    }

    @Override
    public void close() {
        if (tail != null) {
            tail.close();
        }
    }
}
