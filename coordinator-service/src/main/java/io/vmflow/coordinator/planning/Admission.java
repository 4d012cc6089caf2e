package io.vmflow.coordinator.planning;

import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Admission limits (after KubeVirt's and Nova's): migrations out of one host (default 2), into one
 * host (default 2), in the whole cluster (default 5). Beyond them a migration waits in QUEUED and
 * starts in order: higher priority first, then first come.
 */
public final class Admission {

    private final int outboundPerHost;
    private final int inboundPerHost;
    private final int clusterWide;

    public Admission(int outboundPerHost, int inboundPerHost, int clusterWide) {
        this.outboundPerHost = outboundPerHost;
        this.inboundPerHost = inboundPerHost;
        this.clusterWide = clusterWide;
    }

    /** Why a migration cannot start now, or empty when it can. */
    public Optional<String> blocker(Migration m, Collection<Migration> all) {
        List<Migration> flying =
                all.stream().filter(o -> o.phase().isInFlight()).toList();
        if (flying.size() >= clusterWide) {
            return Optional.of(flying.size() + " migrations run in the cluster (limit " + clusterWide + ")");
        }
        long out = flying.stream()
                .filter(o -> o.sourceHost().equals(m.sourceHost()))
                .count();
        if (out >= outboundPerHost) {
            return Optional.of(out + " migrations leave " + m.sourceHost() + " (limit " + outboundPerHost + ")");
        }
        if (m.destinationHost() != null) {
            long in = flying.stream()
                    .filter(o -> m.destinationHost().equals(o.destinationHost()))
                    .count();
            if (in >= inboundPerHost) {
                return Optional.of(in + " migrations enter " + m.destinationHost() + " (limit " + inboundPerHost + ")");
            }
        }
        return Optional.empty();
    }

    /** The order waiting migrations are considered in. */
    public static Comparator<Migration> order(
            java.util.function.ToIntFunction<Migration> priority,
            java.util.function.ToLongFunction<Migration> arrival) {
        return Comparator.<Migration>comparingInt(m -> -priority.applyAsInt(m)).thenComparingLong(arrival);
    }

    public static boolean waiting(Migration m) {
        return m.phase() == MigrationPhase.ACCEPTED || m.phase() == MigrationPhase.QUEUED;
    }
}
