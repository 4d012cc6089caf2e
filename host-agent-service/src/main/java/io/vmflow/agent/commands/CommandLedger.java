package io.vmflow.agent.commands;

import io.vmflow.avro.HostReport;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this agent has done with commands: the final report of each finished command (a command seen
 * again gets the same reply and no second effect), the commands in flight, and the highest fencing
 * epoch seen from each issuer (a lower one is refused: a stale coordinator cannot act).
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
    public synchronized Verdict admit(String commandId, String issuer, long epoch) {
        if (finished.containsKey(commandId)) {
            return Verdict.DONE;
        }
        if (inFlight.containsKey(commandId)) {
            return Verdict.IN_FLIGHT;
        }
        long highest = epochs.getOrDefault(issuer, Long.MIN_VALUE);
        if (epoch < highest) {
            return Verdict.STALE;
        }
        epochs.put(issuer, epoch);
        inFlight.put(commandId, true);
        return Verdict.NEW;
    }

    public long highestEpoch(String issuer) {
        return epochs.getOrDefault(issuer, Long.MIN_VALUE);
    }

    public void finish(String commandId, HostReport finalReport) {
        finished.put(commandId, finalReport);
        inFlight.remove(commandId);
    }

    /** Restores what a previous run of this agent answered (from its reports on Kafka). */
    public synchronized void restore(String commandId, HostReport finalReport) {
        finished.put(commandId, finalReport);
        if (finalReport.getIssuer() != null && finalReport.getEpoch() != null) {
            epochs.merge(finalReport.getIssuer(), finalReport.getEpoch(), Math::max);
        }
    }

    /** A command a previous run of this agent left running, watched again: in flight until its answer. */
    public synchronized void resume(String commandId, String issuer, long epoch) {
        inFlight.put(commandId, true);
        epochs.merge(issuer, epoch, Math::max);
    }

    public Optional<HostReport> finalReport(String commandId) {
        return Optional.ofNullable(finished.get(commandId));
    }
}
