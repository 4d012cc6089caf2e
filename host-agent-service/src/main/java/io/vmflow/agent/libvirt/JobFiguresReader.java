package io.vmflow.agent.libvirt;

import io.vmflow.avro.JobFigures;
import java.util.HashMap;
import java.util.Map;
import org.libvirt.DomainJobStats;
import org.libvirt.TypedParameter;

/** libvirt's job-stats typed parameters (virDomainGetJobStats) as vmflow's JobFigures. */
final class JobFiguresReader {

    private JobFiguresReader() {}

    static JobFigures read(DomainJobStats stats) {
        Map<String, Long> v = new HashMap<>();
        if (stats != null && stats.stats != null) {
            for (TypedParameter p : stats.stats) {
                try {
                    v.put(p.field, Long.parseLong(p.getValueAsString()));
                } catch (NumberFormatException e) {
                    // a non-numeric statistic (none of the ones vmflow reads)
                }
            }
        }
        return new JobFigures(
                v.get("time_elapsed"),
                v.get("data_total"),
                v.get("data_processed"),
                v.get("data_remaining"),
                v.get("memory_total"),
                v.get("memory_processed"),
                v.get("memory_remaining"),
                v.get("memory_bps"),
                v.get("memory_dirty_rate"),
                v.get("memory_iteration"),
                v.get("downtime"));
    }

    static boolean isEmpty(JobFigures f) {
        return f.getDataTotalBytes() == null && f.getElapsedMs() == null && f.getDowntimeMs() == null;
    }
}
