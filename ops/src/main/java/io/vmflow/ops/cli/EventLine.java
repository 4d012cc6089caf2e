package io.vmflow.ops.cli;

import io.vmflow.avro.MigrationEvent;

/** One migration event as one line for a terminal. */
final class EventLine {

    private EventLine() {}

    static String of(MigrationEvent e) {
        StringBuilder b = new StringBuilder()
                .append(e.getOccurredAt())
                .append("  ")
                .append(e.getMigrationId())
                .append(" #")
                .append(e.getSequence())
                .append("  ")
                .append(e.getPreviousPhase() == null ? "-" : e.getPreviousPhase())
                .append(" -> ")
                .append(e.getPhase())
                .append("  by ")
                .append(e.getActor())
                .append(':')
                .append(e.getActorId());
        if (e.getHostId() != null) {
            b.append(" on ").append(e.getHostId());
        }
        if (e.getProgressPercent() != null) {
            int filled = Math.max(0, Math.min(20, e.getProgressPercent() / 5));
            b.append("  [")
                    .append("#".repeat(filled))
                    .append(".".repeat(20 - filled))
                    .append("] ")
                    .append(e.getProgressPercent())
                    .append('%');
        }
        io.vmflow.avro.JobFigures f = e.getFigures();
        if (f != null && f.getDataTotalBytes() != null) {
            b.append(String.format(
                    "  %d/%d MiB",
                    (f.getDataProcessedBytes() == null ? 0 : f.getDataProcessedBytes()) >> 20,
                    f.getDataTotalBytes() >> 20));
            if (f.getMemoryBandwidthBytesPerSecond() != null) {
                b.append(String.format(" at %d MiB/s", f.getMemoryBandwidthBytesPerSecond() >> 20));
            }
            if (f.getIteration() != null) {
                b.append(" iteration ").append(f.getIteration());
            }
            if (f.getDowntimeMs() != null && e.getPhase() != io.vmflow.avro.Phase.RUNNING) {
                b.append(" downtime ").append(f.getDowntimeMs()).append(" ms");
            }
        }
        if (e.getReason() != null) {
            b.append("  [")
                    .append(e.getReason().getCode())
                    .append("] ")
                    .append(e.getReason().getMessage());
        }
        return b.toString();
    }
}
