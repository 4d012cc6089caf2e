package io.vmflow.ops.cli;

import io.vmflow.avro.HostReport;
import io.vmflow.avro.JobFigures;

/** One host report as one line for a terminal. */
final class ReportLine {

    private ReportLine() {}

    static String of(HostReport r) {
        StringBuilder b = new StringBuilder()
                .append(r.getReportedAt())
                .append("  ")
                .append(r.getHostId())
                .append("  ")
                .append(r.getCommandType() == null ? "-" : r.getCommandType())
                .append(' ')
                .append(r.getKind());
        if (r.getReason() != null) {
            b.append("  [")
                    .append(r.getReason().getCode())
                    .append("] ")
                    .append(r.getReason().getMessage());
        }
        JobFigures f = r.getFigures();
        if (f != null && f.getDataTotalBytes() != null) {
            b.append(String.format("  %d/%d MiB", nz(f.getDataProcessedBytes()) >> 20, f.getDataTotalBytes() >> 20));
            if (f.getMemoryBandwidthBytesPerSecond() != null) {
                b.append(String.format(" at %d MiB/s", f.getMemoryBandwidthBytesPerSecond() >> 20));
            }
            if (f.getIteration() != null) {
                b.append(" iteration ").append(f.getIteration());
            }
            if (f.getDowntimeMs() != null) {
                b.append(" downtime ").append(f.getDowntimeMs()).append(" ms");
            }
        }
        if (r.getGuest() != null) {
            b.append("  guest ")
                    .append(r.getGuest().getName())
                    .append(' ')
                    .append(r.getGuest().getState())
                    .append(r.getGuest().getPersistent() ? " persistent" : " transient");
        }
        if (r.getMigrationUri() != null) {
            b.append("  uri ").append(r.getMigrationUri());
        }
        if (!r.getDetails().isEmpty()) {
            b.append("  ").append(r.getDetails());
        }
        return b.toString();
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }
}
