package io.vmflow.agent.commands;

import io.vmflow.avro.HostReport;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this agent has done with commands: the final report of each finished command (a command seen
 * again gets the same reply and no second effect), the commands in flight, and the highest fencing
 * epoch seen for each migration (a lower one is refused: a coordinator that no longer owns the
 * migration cannot act on it).
 *
 * <p>The epoch is the coordinators' consumer-group generation when the command was issued, so it
 * follows the partition's owner, not the instance: after a rebalance the new owner's commands carry a
 * higher epoch and fence the old owner's, while the old owner's commands for migrations it kept, and the
 * peer commands a source forwards with its PERFORM's epoch, stay valid (an epoch per issuer would refuse
 * those as soon as that issuer was seen with a newer generation on any other migration).
 */
public final class CommandLedger {

    /** What to do with an incoming command. */
    public enum Verdict {
        NEW,
        IN_FLIGHT,
        DONE,
        STALE
    }

    private final Map<String, HostReport> finished = new ConcurrentHashMap<>();
    private final Map<String, Boolean> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Long> epochs = new ConcurrentHashMap<>();

    /** Classifies a command and, when it is new, marks it in flight and records its epoch. */
    public synchronized Verdict admit(String commandId, String migrationId, long epoch) {
        if (finished.containsKey(commandId)) {
            return Verdict.DONE;
        }
        if (inFlight.containsKey(commandId)) {
            return Verdict.IN_FLIGHT;
        }
        long highest = epochs.getOrDefault(migrationId, Long.MIN_VALUE);
        if (epoch < highest) {
            return Verdict.STALE;
        }
        epochs.put(migrationId, epoch);
        inFlight.put(commandId, true);
        return Verdict.NEW;
    }

    public long highestEpoch(String migrationId) {
        return epochs.getOrDefault(migrationId, Long.MIN_VALUE);
    }

    public void finish(String commandId, HostReport finalReport) {
        finished.put(commandId, finalReport);
        inFlight.remove(commandId);
    }

    /** Restores what a previous run of this agent answered (from its reports on Kafka). */
    public synchronized void restore(String commandId, HostReport finalReport) {
        finished.put(commandId, finalReport);
        if (finalReport.getMigrationId() != null && finalReport.getEpoch() != null) {
            epochs.merge(finalReport.getMigrationId(), finalReport.getEpoch(), Math::max);
        }
    }

    /** A command a previous run of this agent left running, watched again: in flight until its answer. */
    public synchronized void resume(String commandId, String migrationId, long epoch) {
        inFlight.put(commandId, true);
        epochs.merge(migrationId, epoch, Math::max);
    }

    public Optional<HostReport> finalReport(String commandId) {
        return Optional.ofNullable(finished.get(commandId));
    }
}
