package io.vmflow.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.hypervisor.MigrationOptions;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Transport;
import org.junit.jupiter.api.Test;
import org.libvirt.Domain.MigrateFlags;

/** The seam's migration options, as the libvirt adapter hands them to libvirt-java. */
class MigrationOptionsTest {

    @Test
    void theSeamsFlagValuesAreLibvirtsOwn() {
        assertThat(MigrationOptions.MigrateFlags.LIVE).isEqualTo(MigrateFlags.LIVE);
        assertThat(MigrationOptions.MigrateFlags.PEER2PEER).isEqualTo(MigrateFlags.PEER2PEER);
        assertThat(MigrationOptions.MigrateFlags.TUNNELED).isEqualTo(MigrateFlags.TUNNELED);
        assertThat(MigrationOptions.MigrateFlags.PERSIST_DEST).isEqualTo(MigrateFlags.PERSIST_DEST);
        assertThat(MigrationOptions.MigrateFlags.UNDEFINE_SOURCE).isEqualTo(MigrateFlags.UNDEFINE_SOURCE);
        assertThat(MigrationOptions.MigrateFlags.OFFLINE).isEqualTo(MigrateFlags.OFFLINE);
        assertThat(MigrationOptions.MigrateFlags.AUTO_CONVERGE).isEqualTo(MigrateFlags.AUTO_CONVERGE);
        assertThat(MigrationOptions.MigrateFlags.POSTCOPY).isEqualTo(MigrateFlags.POSTCOPY);
        assertThat(MigrationOptions.MigrateFlags.TLS).isEqualTo(MigrateFlags.TLS);
    }

    @Test
    void tlsAsksForQemusOwnEncryptionAndNothingElse() {
        assertThat(MigrationOptions.of(spec().setTls(true).build(), "tcp://x", true, false)
                        .has(MigrateFlags.TLS))
                .isTrue();
        assertThat(MigrationOptions.of(spec().build(), "tcp://x", true, false).has(MigrateFlags.TLS))
                .isFalse();
    }

    private static MigrationSpec.Builder spec() {
        return MigrationSpec.newBuilder().setGuest("g").setSourceHost("a");
    }

    @Test
    void theSeedsFlagsMapToLibvirts() {
        MigrationOptions o = MigrationOptions.of(
                spec().setPersistDest(true)
                        .setUndefineSource(true)
                        .setAutoConverge(true)
                        .build(),
                "tcp://10.251.0.2",
                true,
                false);
        assertThat(o.has(MigrateFlags.LIVE)).isTrue();
        assertThat(o.has(MigrateFlags.PERSIST_DEST)).isTrue();
        assertThat(o.has(MigrateFlags.UNDEFINE_SOURCE)).isTrue();
        assertThat(o.has(MigrateFlags.AUTO_CONVERGE)).isTrue();
        assertThat(o.has(MigrateFlags.PEER2PEER)).isTrue();
        assertThat(o.has(MigrateFlags.TUNNELED)).isFalse();
        assertThat(LibvirtHypervisor.parameters(o))
                .extracting(p -> p.field)
                .containsExactly("destination_name", "migrate_uri");
    }

    @Test
    void byDefaultNoConfigurationFileIsTouched() {
        MigrationOptions o = MigrationOptions.of(spec().build(), null, false, false);
        assertThat(o.has(MigrateFlags.PERSIST_DEST)).isFalse();
        assertThat(o.has(MigrateFlags.UNDEFINE_SOURCE)).isFalse();
        assertThat(LibvirtHypervisor.parameters(o))
                .as("never empty: libvirt-java cannot pass none")
                .hasSize(1);
    }

    @Test
    void offlineMigrationPersistsTheDestinationAsLibvirtRequires() {
        MigrationOptions o = MigrationOptions.of(spec().setLive(false).build(), null, true, false);
        assertThat(o.has(MigrateFlags.OFFLINE)).isTrue();
        assertThat(o.has(MigrateFlags.LIVE)).isFalse();
        assertThat(o.has(MigrateFlags.PERSIST_DEST)).isTrue();
    }

    @Test
    void libvirtsOwnTunnelOnlyForATunnelledRequestWithoutARelayAndThenNoMigrateUri() {
        MigrationOptions o = MigrationOptions.of(
                spec().setTransport(Transport.TUNNELLED).setBandwidthMiBps(100L).build(), "tcp://x", true, true);
        assertThat(o.has(MigrateFlags.TUNNELED)).isTrue();
        assertThat(o.migrationUri()).isNull();
        assertThat(LibvirtHypervisor.parameters(o))
                .extracting(p -> p.field)
                .containsExactly("destination_name", "bandwidth");
    }
}
