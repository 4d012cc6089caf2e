package io.vmflow.coordinator.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.Liveness;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.planning.PlannerTest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValidatorTest {

    final Inventory inventory = new Inventory();
    Optional<String> active = Optional.empty();
    final Validator v = new Validator(
            inventory,
            new DestinationPolicy(List.of("qemu+tcp://10.0.0.*/system", "qemu+tcp://192.0.2.9/system"), Set.of("mode")),
            g -> active);

    ValidatorTest() {
        inventory.update(PlannerTest.host("a", "x86_64", 4096, 0, Liveness.UP));
        inventory.update(PlannerTest.host("b", "x86_64", 4096, 0, Liveness.UP, "10.251.0.2"));
    }

    Optional<Reason> check(String id, MigrationSpec.Builder s) {
        return v.check(new MigrationRequest(id, s.build(), "alice", "t", null, 0, Instant.EPOCH));
    }

    static MigrationSpec.Builder ok() {
        return MigrationSpec.newBuilder().setGuest("web").setSourceHost("a").setDestinationHost("b");
    }

    String code(String id, MigrationSpec.Builder s) {
        return check(id, s).map(Reason::getCode).orElse("OK");
    }

    @Test
    void aGoodRequestPasses() {
        assertThat(check("r1", ok())).isEmpty();
        assertThat(check("r1", ok().setDestinationHost(null)))
                .as("the planner chooses")
                .isEmpty();
    }

    @Test
    void everyRuleHasItsOwnCode() {
        assertThat(code("bad id with spaces", ok())).isEqualTo("INVALID_REQUEST");
        assertThat(code("r", ok().setBandwidthMiBps(-1L))).isEqualTo("VALUE_OUT_OF_RANGE");
        assertThat(code("r", ok().setSourceHost("z"))).isEqualTo("UNKNOWN_SOURCE_HOST");
        assertThat(code("r", ok().setDestinationHost("z"))).isEqualTo("UNKNOWN_DESTINATION_HOST");
        assertThat(code("r", ok().setDestinationHost("a"))).isEqualTo("SAME_HOST");
        assertThat(code("r", ok().setGuest("nope"))).isEqualTo("UNKNOWN_GUEST");
        assertThat(code("r", ok().setMigrationUri("exec:reboot"))).isEqualTo("MALFORMED_URI");
        assertThat(code("r", ok().setDestinationUri("http://b/system"))).isEqualTo("MALFORMED_URI");
        assertThat(code("r", ok().setControlFlow(ControlFlow.UNMANAGED_DIRECT))).isEqualTo("MISSING_HYPERVISOR_URI");
        assertThat(code("r", ok().setControlFlow(ControlFlow.UNMANAGED_DIRECT).setMigrationUri("tcp://b")))
                .as("the destination hypervisor listens on a port")
                .isEqualTo("MALFORMED_URI");
        assertThat(code(
                        "r",
                        ok().setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                                .setMigrationUri("tcp://b:4444")
                                .setPersistDest(true)))
                .isEqualTo("CONFLICTING_FLAGS");
        assertThat(code("r", ok().setLive(false).setAutoConverge(true))).isEqualTo("CONFLICTING_FLAGS");
        assertThat(code("r", ok().setTls(true)))
                .as("QEMU's TLS on a native stream")
                .isEqualTo("OK");
        assertThat(check("r", ok().setTls(true).setTransport(io.vmflow.avro.Transport.TUNNELLED)))
                .hasValueSatisfying(r -> {
                    assertThat(r.getCode()).isEqualTo("CONFLICTING_FLAGS");
                    assertThat(r.getMessage()).contains("NATIVE with tls");
                });
        assertThat(code(
                        "r",
                        ok().setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                                .setMigrationUri("tcp://10.251.0.2:49200")
                                .setTls(true)))
                .as("vmflow drives QEMU alone there: no libvirt to set up its TLS")
                .isEqualTo("CONFLICTING_FLAGS");
        assertThat(code("r", ok().setTransport(io.vmflow.avro.Transport.TUNNELLED)))
                .isEqualTo("TUNNELLED_WITHOUT_RELAY");
        assertThat(code(
                        "r",
                        ok().setDestinationHost(null)
                                .setDestinationUri("qemu+tcp://10.0.0.9/system")
                                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                                .setTransport(io.vmflow.avro.Transport.TUNNELLED)))
                .as("scenario 6 to a libvirt host without vmflow: libvirt's own tunnel")
                .isEqualTo("OK");
        assertThat(code("r", ok().setMigrationUri("tcp://10.251.0.2:49200")))
                .as("inside b's range")
                .isEqualTo("OK");
        assertThat(check("r", ok().setMigrationUri("tcp://10.251.0.2:4444"))).hasValueSatisfying(r -> {
            assertThat(r.getCode()).isEqualTo("PORT_OUT_OF_RANGE");
            assertThat(r.getMessage()).contains("49152-49215");
        });
        active = Optional.of("mig-9");
        assertThat(check("r", ok())).hasValueSatisfying(r -> {
            assertThat(r.getCode()).isEqualTo("ALREADY_MIGRATING");
            assertThat(r.getMessage()).contains("mig-9");
        });
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "spec.bandwidthMiBps, 0",
        "spec.bandwidthMiBps, 1048577",
        "spec.maxDowntimeMs, 0",
        "spec.maxDowntimeMs, 2000001",
        "spec.completionTimeoutSecondsPerGiB, 0",
        "spec.completionTimeoutSecondsPerGiB, 9223372036854775807",
        "priority, 1001",
        "priority, -2147483648"
    })
    void numbersOutsideTheirBoundsAreRefusedWithTheirName(String field, long value) {
        MigrationSpec.Builder s = ok();
        int priority = 0;
        switch (field) {
            case "spec.bandwidthMiBps" -> s.setBandwidthMiBps(value);
            case "spec.maxDowntimeMs" -> s.setMaxDowntimeMs(value);
            case "spec.completionTimeoutSecondsPerGiB" -> s.setCompletionTimeoutSecondsPerGiB(value);
            default -> priority = (int) value;
        }
        Optional<Reason> r = v.check(new MigrationRequest("r", s.build(), "alice", "t", null, priority, Instant.EPOCH));
        assertThat(r).hasValueSatisfying(reason -> {
            assertThat(reason.getCode()).isEqualTo("VALUE_OUT_OF_RANGE");
            assertThat(reason.getMessage()).startsWith(field + " is " + value);
        });
        long[] b = Validator.BOUNDS.get(field);
        MigrationSpec.Builder edge = ok();
        switch (field) {
            case "spec.bandwidthMiBps" -> edge.setBandwidthMiBps(b[1]);
            case "spec.maxDowntimeMs" -> edge.setMaxDowntimeMs(b[1]);
            case "spec.completionTimeoutSecondsPerGiB" -> edge.setCompletionTimeoutSecondsPerGiB(b[1]);
            default -> {}
        }
        assertThat(v.check(new MigrationRequest("r", edge.build(), "alice", "t", null, (int) b[0], Instant.EPOCH)))
                .as("the bounds themselves pass")
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                // libvirt URI parameters that choose what the source runs or whom it trusts
                "destination with command=|qemu+ssh://b/system?command=/tmp/x||URI_PARAMETER_NOT_ALLOWED",
                "destination with socket=|qemu+tcp://b/system?socket=/run/x||URI_PARAMETER_NOT_ALLOWED",
                "destination with no_verify=|qemu+tls://b/system?no_verify=1||URI_PARAMETER_NOT_ALLOWED",
                "an allowed parameter|qemu+tcp://b/system?mode=direct||OK",
                "a percent escape|qemu+tcp://b/system?mode=%64irect||MALFORMED_URI",
                // destinations: registered hosts, or foreign ones the operator listed
                "an unlisted foreign libvirt host|qemu+tcp://203.0.113.7/system||DESTINATION_NOT_ALLOWED",
                "a listed foreign libvirt host|qemu+tcp://10.0.0.9/system||OK",
                "the glob stays inside the host|qemu+tcp://10.0.0.9/evil/system||MALFORMED_URI",
                "a registered host by URI|qemu+tcp://b/system||OK",
                // migration URIs: an address of the destination
                "stream to an address of b|qemu+tcp://b/system|tcp://10.251.0.2:49200|OK",
                "stream elsewhere|qemu+tcp://b/system|tcp://198.51.100.4:49200|MIGRATION_URI_NOT_ALLOWED",
                "stream to the listed foreign host|qemu+tcp://10.0.0.9/system|tcp://10.0.0.9:49200|OK",
                "stream past the foreign host|qemu+tcp://10.0.0.9/system|tcp://10.0.0.10:49200|MIGRATION_URI_NOT_ALLOWED",
            })
    void peerToPeerDestinationsAreRegisteredHostsOrAllowedOnes(
            String what, String uri, String migrationUri, String code) {
        MigrationSpec.Builder s = ok().setDestinationHost(null)
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .setDestinationUri(uri)
                .setMigrationUri(migrationUri);
        assertThat(code("r", s)).as(what).isEqualTo(code);
    }

    @Test
    void aNamedDestinationKeepsItsRegisteredUriAndAddresses() {
        assertThat(code("r", ok().setDestinationUri("qemu+tcp://10.0.0.9/system")))
                .as("host b named, another host's URI given")
                .isEqualTo("DESTINATION_NOT_ALLOWED");
        assertThat(code("r", ok().setDestinationUri("qemu+tcp://b/system"))).isEqualTo("OK");
        assertThat(code("r", ok().setMigrationUri("tcp://b:49200")))
                .as("b's libvirt host is one of its addresses")
                .isEqualTo("OK");
        assertThat(code("r", ok().setMigrationUri("tcp://a:49200")))
                .as("the source's own address")
                .isEqualTo("MIGRATION_URI_NOT_ALLOWED");
        assertThat(code("r", ok().setSourceUri("qemu+tcp://a/system"))).isEqualTo("OK");
        assertThat(code("r", ok().setSourceUri("qemu+tcp://b/system"))).isEqualTo("SOURCE_URI_MISMATCH");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "tcp://10.251.0.2:49200, OK",
        "tcp://b:49200, OK",
        "tcp://a:49200, MIGRATION_URI_NOT_ALLOWED",
        "tcp://198.51.100.4:49200, MIGRATION_URI_NOT_ALLOWED",
        "tcp://10.251.0.2:4444, PORT_OUT_OF_RANGE",
    })
    void anUnmanagedStreamGoesOnlyToAnotherRegisteredHostInsideItsPortRange(String uri, String code) {
        MigrationSpec.Builder s = ok().setDestinationHost(null)
                .setControlFlow(ControlFlow.UNMANAGED_DIRECT)
                .setMigrationUri(uri);
        assertThat(code("r", s)).isEqualTo(code);
    }

    @Test
    void aForeignLibvirtDestinationIsAllowedForPeerToPeerOnly() {
        MigrationSpec.Builder foreign =
                ok().setDestinationHost("legacy-7").setDestinationUri("qemu+tcp://192.0.2.9/system");
        assertThat(code("r", foreign.setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)))
                .isEqualTo("OK");
        assertThat(code("r", foreign.setControlFlow(ControlFlow.MANAGED_DIRECT)))
                .isEqualTo("UNKNOWN_DESTINATION_HOST");
    }

    @Test
    void hostileValuesAreShownNotPrinted() {
        assertThat(check("r", ok().setSourceHost("x\u001b[2Jy")))
                .hasValueSatisfying(
                        r -> assertThat(r.getMessage()).contains("x\\u001b[2Jy").doesNotContain("\u001b"));
    }
}
