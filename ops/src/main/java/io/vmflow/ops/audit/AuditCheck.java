package io.vmflow.ops.audit;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.Phase;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the audit log as it is read from offset 0: per migration, sequence numbers 1, 2, 3... with no
 * gap, no repeat and nothing out of order, each event's previous phase the last one's phase; and says
 * which migrations reached a final phase and which are still open.
 */
public final class AuditCheck {

    static final Set<Phase> FINAL =
            EnumSet.of(Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.REJECTED, Phase.GUEST_LEFT_PAUSED);

    private final Map<String, MigrationEvent> last = new HashMap<>();
    private final Set<String> eventIds = new HashSet<>();
    private final List<String> problems = new ArrayList<>();
    private long events;

    public void accept(MigrationEvent e) {
        events++;
        if (!eventIds.add(e.getEventId())) {
            problems.add(e.getMigrationId() + ": event " + e.getEventId() + " appears twice");
            return;
        }
        MigrationEvent before = last.get(e.getMigrationId());
        long expected = before == null ? 1 : before.getSequence() + 1;
        if (e.getSequence() != expected) {
            problems.add(e.getMigrationId() + ": sequence " + e.getSequence() + " where " + expected + " was due");
        }
        Phase previous = before == null ? null : before.getPhase();
        if (e.getPreviousPhase() != previous) {
            problems.add(e.getMigrationId() + " #" + e.getSequence() + ": previous phase " + e.getPreviousPhase()
                    + " but the log says " + previous);
        }
        if (before != null && FINAL.contains(before.getPhase())) {
            problems.add(
                    e.getMigrationId() + " #" + e.getSequence() + ": event after the final phase " + before.getPhase());
        }
        last.put(e.getMigrationId(), e);
    }

    public List<String> problems() {
        return problems;
    }

    public long events() {
        return events;
    }

    public long migrations() {
        return last.size();
    }

    public long open() {
        return last.values().stream().filter(e -> !FINAL.contains(e.getPhase())).count();
    }

    public Map<Phase, Long> byFinalPhase() {
        Map<Phase, Long> m = new HashMap<>();
        last.values().stream()
                .filter(e -> FINAL.contains(e.getPhase()))
                .forEach(e -> m.merge(e.getPhase(), 1L, Long::sum));
        return m;
    }
}
