package io.vmflow.agent.flows;

import io.vmflow.agent.hypervisor.Hypervisor;
import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.agent.report.Reporter;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.JobFigures;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports a running migration's job statistics at a steady interval (libvirt-java has no
 * migration-iteration events, so the job stats are polled), while the blocking migrate call runs.
 * The request's max downtime is applied at the first sample of the running job: libvirt has no
 * migration parameter for it, only virDomainMigrateSetMaxDowntime on a running migration.
 */
public final class ProgressSampler {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressSampler.class);

    private final Hypervisor hypervisor;
    private final Reporter reporter;
    private final ScheduledExecutorService scheduler;
    private final Duration interval;

    public ProgressSampler(
            Hypervisor hypervisor, Reporter reporter, ScheduledExecutorService scheduler, Duration interval) {
        this.hypervisor = hypervisor;
        this.reporter = reporter;
        this.scheduler = scheduler;
        this.interval = interval;
    }

    /** Starts sampling; closing the returned handle stops it. */
    public AutoCloseable sample(HostCommand command) {
        String guest = command.getSpec().getGuest();
        Long maxDowntime = command.getSpec().getMaxDowntimeMs();
        boolean[] downtimeSet = {maxDowntime == null};
        ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(
                () -> {
                    try {
                        JobFigures figures = hypervisor.jobFigures(guest);
                        // nothing to say while libvirt is still setting up (no data counted yet)
                        if (figures.getDataTotalBytes() != null && figures.getDataTotalBytes() > 0) {
                            if (!downtimeSet[0]) {
                                hypervisor.setMaxDowntime(guest, maxDowntime);
                                downtimeSet[0] = true;
                            }
                            reporter.sendAsync(reporter.progress(command, figures));
                        }
                    } catch (HypervisorException e) {
                        LOG.warn(
                                "migration {}: cannot set the max downtime to {} ms: {}",
                                command.getMigrationId(),
                                maxDowntime,
                                e.getMessage());
                        downtimeSet[0] = true;
                    } catch (RuntimeException e) {
                        LOG.warn("progress sample for {} failed: {}", command.getMigrationId(), e.toString());
                    }
                },
                interval.toMillis(),
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }
}
