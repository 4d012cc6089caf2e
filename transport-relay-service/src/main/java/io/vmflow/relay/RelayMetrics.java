package io.vmflow.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vmflow.relay.net.Relay;
import java.util.function.LongSupplier;

/** The relay's own meters: bytes and streams both ways, sessions, refusals by reason, dead letters. */
final class RelayMetrics {

    private RelayMetrics() {}

    static void register(MeterRegistry registry, Relay relay, LongSupplier deadLettered) {
        FunctionCounter.builder("vmflow.relay.bytes.received", relay, Relay::bytesIn)
                .description("bytes delivered to this host's hypervisor")
                .register(registry);
        FunctionCounter.builder("vmflow.relay.bytes.sent", relay, Relay::bytesOut)
                .description("bytes sent from this host's hypervisor to other relays")
                .register(registry);
        FunctionCounter.builder("vmflow.relay.streams.accepted", relay, Relay::streamsAccepted)
                .description("incoming streams accepted")
                .register(registry);
        FunctionCounter.builder("vmflow.relay.streams.completed", relay, Relay::streamsCompleted)
                .description("streams that ended whole")
                .register(registry);
        FunctionCounter.builder("vmflow.relay.streams.cut", relay, Relay::streamsCut)
                .description("streams that failed before their end")
                .register(registry);
        FunctionCounter.builder("vmflow.relay.dead.lettered", deadLettered, LongSupplier::getAsLong)
                .description("session records that could not be acted on")
                .register(registry);
        Gauge.builder("vmflow.relay.streams.live", relay, Relay::streamsLive)
                .description("streams running now")
                .register(registry);
        Gauge.builder("vmflow.relay.sessions.outgoing", relay, Relay::outgoingSessions)
                .description("outgoing sessions with an open local endpoint")
                .register(registry);
        Gauge.builder("vmflow.relay.up", () -> 1)
                .description("1 while the relay runs")
                .register(registry);
        // every reason a dashboard shows, at zero until it happens
        for (String reason :
                new String[] {"SHUTTING_DOWN", "NO_CLIENT_CERTIFICATE", "BAD_PREAMBLE", "UNKNOWN_SESSION"}) {
            refused(registry, reason);
        }
    }

    /** The relay's listener, counting refusals by reason on the way. */
    static Relay.Listener counting(MeterRegistry registry, Relay.Listener delegate) {
        return new Relay.Listener() {
            @Override
            public void opened(String sessionId, String migrationId, String peer, String endpoint) {
                delegate.opened(sessionId, migrationId, peer, endpoint);
            }

            @Override
            public void firstByte(String sessionId, String migrationId, String peer) {
                delegate.firstByte(sessionId, migrationId, peer);
            }

            @Override
            public void closed(String sessionId, String migrationId, String peer, long bytes, String reason) {
                delegate.closed(sessionId, migrationId, peer, bytes, reason);
            }

            @Override
            public void refused(String peer, String sessionId, String migrationId, String reason) {
                RelayMetrics.refused(registry, reason).increment();
                delegate.refused(peer, sessionId, migrationId, reason);
            }
        };
    }

    private static Counter refused(MeterRegistry registry, String reason) {
        return Counter.builder("vmflow.relay.refused")
                .description("connections refused, by reason")
                .tag("reason", reason)
                .register(registry);
    }
}
