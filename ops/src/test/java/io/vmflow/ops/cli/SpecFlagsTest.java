package io.vmflow.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.runtime.json.RecordJson;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The flags of `migrate` and `command` as the spec they send. */
class SpecFlagsTest {

    private static final String[] EVERY_FLAG = {
        "--guest",
        "web1",
        "--source",
        "hostA",
        "--destination",
        "hostB",
        "--flow",
        "MANAGED_DIRECT",
        "--transport",
        "TUNNELLED",
        "--source-uri",
        "qemu+tcp://a/system",
        "--destination-uri",
        "qemu+tcp://b/system",
        "--migration-uri",
        "tcp://10.251.0.2:49200",
        "--offline",
        "--persist-dest",
        "--undefine-source",
        "--bandwidth",
        "100",
        "--max-downtime",
        "300",
        "--timeout-per-gib",
        "20",
        "--auto-converge",
        "--post-copy",
        "--on-timeout",
        "POST_COPY"
    };

    @Test
    void migrateTurnsEveryFlagIntoTheRequestsSpec() {
        MigrateCommand m = new MigrateCommand();
        new CommandLine(m).parseArgs(EVERY_FLAG);

        MigrationSpec spec = m.spec();

        assertThat(spec.getGuest()).isEqualTo("web1");
        assertThat(spec.getSourceHost()).isEqualTo("hostA");
        assertThat(spec.getDestinationHost()).isEqualTo("hostB");
        assertThat(spec.getControlFlow()).isEqualTo(ControlFlow.MANAGED_DIRECT);
        assertThat(spec.getTransport()).isEqualTo(Transport.TUNNELLED);
        assertThat(spec.getSourceUri()).isEqualTo("qemu+tcp://a/system");
        assertThat(spec.getDestinationUri()).isEqualTo("qemu+tcp://b/system");
        assertThat(spec.getMigrationUri()).isEqualTo("tcp://10.251.0.2:49200");
        assertThat(spec.getLive()).isFalse();
        assertThat(spec.getPersistDest()).isTrue();
        assertThat(spec.getUndefineSource()).isTrue();
        assertThat(spec.getBandwidthMiBps()).isEqualTo(100L);
        assertThat(spec.getMaxDowntimeMs()).isEqualTo(300L);
        assertThat(spec.getCompletionTimeoutSecondsPerGiB()).isEqualTo(20L);
        assertThat(spec.getAutoConverge()).isTrue();
        assertThat(spec.getPostCopy()).isTrue();
        assertThat(spec.getOnTimeout()).isEqualTo(TimeoutPolicy.POST_COPY);
    }

    @Test
    void migrateDefaultsAreALivePeerToPeerNativeMigrationToAHostTheCoordinatorChooses() {
        MigrateCommand m = new MigrateCommand();
        new CommandLine(m).parseArgs("--guest", "web1", "--source", "hostA");

        MigrationSpec spec = m.spec();

        assertThat(spec.getDestinationHost()).isNull();
        assertThat(spec.getControlFlow()).isEqualTo(ControlFlow.MANAGED_PEER_TO_PEER);
        assertThat(spec.getTransport()).isEqualTo(Transport.NATIVE);
        assertThat(spec.getLive()).isTrue();
        assertThat(spec.getPersistDest()).isFalse();
        assertThat(spec.getBandwidthMiBps()).isNull();
        assertThat(spec.getOnTimeout()).isEqualTo(TimeoutPolicy.ABORT);
    }

    @Test
    void theApisJsonIsTheSameSpecAsTheRecordWithoutNamingAvro() {
        for (String[] args : new String[][] {EVERY_FLAG, {"--guest", "web1", "--source", "hostA"}}) {
            MigrateCommand m = new MigrateCommand();
            new CommandLine(m).parseArgs(args);

            Map<String, Object> body = new LinkedHashMap<>(m.body("mig-1"));
            Map<String, Object> record = new LinkedHashMap<>(RecordJson.of(m.spec()));
            record.values().removeIf(Objects::isNull);

            assertThat(body).containsEntry("requestId", "mig-1").containsEntry("priority", 0);
            body.keySet().removeAll(java.util.List.of("requestId", "priority", "reason"));
            assertThat(body).isEqualTo(record);
        }
    }

    @Test
    void aNameThatIsNotTheContractsSaysWhichItMayBe() {
        MigrateCommand m = new MigrateCommand();
        new CommandLine(m).parseArgs("--guest", "web1", "--source", "hostA", "--flow", "MANAGED", "--transport", "SSH");

        assertThatThrownBy(m::spec)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        "--flow MANAGED is not one of MANAGED_DIRECT, MANAGED_PEER_TO_PEER, UNMANAGED_DIRECT");
        assertThat(m.body("mig-1")).containsEntry("controlFlow", "MANAGED").containsEntry("transport", "SSH");
    }

    @Test
    void commandSharesTheSpecFlagsAndTakesItsSourceFromTheHostItDrives() {
        CommandCommand c = new CommandCommand();
        new CommandLine(c)
                .parseArgs(
                        "--host",
                        "hostA",
                        "--type",
                        "BEGIN",
                        "--guest",
                        "web1",
                        "--destination",
                        "hostB",
                        "--flow",
                        "UNMANAGED_DIRECT",
                        "--migration-uri",
                        "tcp://10.251.0.2:49200",
                        "--persist-dest",
                        "--bandwidth",
                        "50");

        MigrationSpec spec = c.spec();

        assertThat(spec.getSourceHost()).isEqualTo("hostA");
        assertThat(spec.getDestinationHost()).isEqualTo("hostB");
        assertThat(spec.getControlFlow()).isEqualTo(ControlFlow.UNMANAGED_DIRECT);
        assertThat(spec.getTransport()).isEqualTo(Transport.NATIVE);
        assertThat(spec.getMigrationUri()).isEqualTo("tcp://10.251.0.2:49200");
        assertThat(spec.getPersistDest()).isTrue();
        assertThat(spec.getBandwidthMiBps()).isEqualTo(50L);
    }

    @Test
    void theGuestIsRequiredByBoth() {
        assertThatThrownBy(() -> new CommandLine(new MigrateCommand()).parseArgs("--source", "hostA"))
                .isInstanceOf(CommandLine.MissingParameterException.class)
                .hasMessageContaining("--guest");
        assertThatThrownBy(() -> new CommandLine(new CommandCommand()).parseArgs("--host", "hostA", "--type", "BEGIN"))
                .isInstanceOf(CommandLine.MissingParameterException.class)
                .hasMessageContaining("--guest");
    }
}
