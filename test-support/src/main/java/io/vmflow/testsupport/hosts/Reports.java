package io.vmflow.testsupport.hosts;

import static org.awaitility.Awaitility.await;

import io.vmflow.avro.HostReport;
import io.vmflow.avro.ReportKind;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Every host report written after it started, read from the real per-host report topics. */
public final class Reports implements AutoCloseable {

    private final List<HostReport> seen = new CopyOnWriteArrayList<>();
    private final TopicTail<HostReport> tail;

    public Reports(Endpoints endpoints, WireFormat wire) {
        tail = new TopicTail<>(
                        "it-reports",
                        endpoints,
                        TopicCatalogue.everyHost(TopicCatalogue.HOST_REPORTS_TEMPLATE),
                        TopicTail.From.END,
                        wire,
                        HostReport.class,
                        (r, report) -> seen.add(report),
                        tombstone -> {},
                        io.vmflow.runtime.kafka.Loops.unsupervised("it-reports"),
                        null)
                .start();
    }

    public List<HostReport> forCommand(String commandId) {
        return seen.stream().filter(r -> commandId.equals(r.getCommandId())).toList();
    }

    public List<HostReport> forMigration(String migrationId) {
        return seen.stream().filter(r -> migrationId.equals(r.getMigrationId())).toList();
    }

    /** Waits for a command's final report (succeeded, failed or refused). */
    public HostReport awaitFinal(String commandId) {
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> forCommand(commandId).stream().anyMatch(r -> isFinal(r.getKind())));
        return forCommand(commandId).stream()
                .filter(r -> isFinal(r.getKind()))
                .findFirst()
                .orElseThrow();
    }

    public static boolean isFinal(ReportKind k) {
        return k == ReportKind.COMMAND_SUCCEEDED || k == ReportKind.COMMAND_FAILED || k == ReportKind.COMMAND_REFUSED;
    }

    @Override
    public void close() {
        tail.close();
    }
}
