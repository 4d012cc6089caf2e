package io.vmflow.coordinator.planning;

import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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

    /**
     * The migrations in flight, counted once for an admission round (in the cluster, out of each host,
     * into each host) and kept as each waiting one is admitted: a round asks about every waiting
     * migration, and counting the flying ones for each was waiting x flying (2,000 x 1,000 at fleet
     * scale, the coordinator's largest cost there).
     */
    public static final class InFlight {
        private final Set<String> ids = new HashSet<>();
        private final Map<String, Integer> out = new HashMap<>();
        private final Map<String, Integer> in = new HashMap<>();

        public InFlight(Collection<Migration> migrations) {
            migrations.forEach(this::add);
        }

        /** Counts a migration, once, if it is in flight. */
        public void add(Migration m) {
            if (!m.phase().isInFlight() || !ids.add(m.id())) {
                return;
            }
            out.merge(m.sourceHost(), 1, Integer::sum);
            if (m.destinationHost() != null) {
                in.merge(m.destinationHost(), 1, Integer::sum);
            }
        }
    }

    /** Why a migration cannot start now, or empty when it can. */
    public Optional<String> blocker(Migration m, InFlight flying) {
        int all = flying.ids.size();
        if (all >= clusterWide) {
            return Optional.of(all + " migrations run in the cluster (limit " + clusterWide + ")");
        }
        int out = flying.out.getOrDefault(m.sourceHost(), 0);
        if (out >= outboundPerHost) {
            return Optional.of(out + " migrations leave " + m.sourceHost() + " (limit " + outboundPerHost + ")");
        }
        if (m.destinationHost() != null) {
            int in = flying.in.getOrDefault(m.destinationHost(), 0);
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
