package io.vmflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.testsupport.TestPki;
import io.vmflow.testsupport.hosts.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * A test host's libvirtd as an attacker on the network meets it (ops/hosts/up.sh): TLS only, and
 * only vmflow certificates of agents, admins and hypervisors get in. A relay's certificate from the
 * same CA, a client without a certificate and plain TCP are all turned away before any call.
 */
class LibvirtTlsIT {

    private TestHost host;
    private Path scratch;

    @BeforeEach
    void setUp() throws Exception {
        host = TestHost.load("hostA");
        Assumptions.assumeTrue(
                host.libvirtUri().startsWith("qemu+tls:"), "the test hosts run the TCP development switch");
        scratch = Files.createTempDirectory("vmflow-libvirt-pki");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (scratch != null) {
            try (Stream<Path> files = Files.walk(scratch)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void theAgentsOwnCertificateGetsIn() throws Exception {
        Path pki = TestPki.principal("agent", "hostA").resolve("libvirt");
        Connect c = new Connect(host.libvirtUri() + "?pkipath=" + pki);
        try {
            assertThat(c.getHostName()).isEqualTo("hostA");
        } finally {
            c.close();
        }
    }

    @Test
    void aRelaysCertificateFromTheSameCaIsRefused() throws Exception {
        Path relay = TestPki.principal("relay", "hostA");
        Files.copy(relay.resolve("ca.crt"), scratch.resolve("cacert.pem"));
        Files.copy(relay.resolve("cert.pem"), scratch.resolve("clientcert.pem"));
        Files.copy(relay.resolve("key.pem"), scratch.resolve("clientkey.pem"));
        assertThatThrownBy(() -> new Connect(host.libvirtUri() + "?pkipath=" + scratch).close())
                .isInstanceOf(LibvirtException.class);
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        Files.copy(TestPki.principal("agent", "hostA").resolve("ca.crt"), scratch.resolve("cacert.pem"));
        // libvirt's client goes ahead without a certificate of its own; libvirtd ends the handshake
        assertThatThrownBy(() -> new Connect(host.libvirtUri() + "?pkipath=" + scratch).close())
                .isInstanceOf(LibvirtException.class)
                .hasMessageContaining("TLS");
    }

    @Test
    void plainTcpIsNotServed() {
        assertThatThrownBy(() -> new Connect("qemu+tcp://" + host.address() + "/system").close())
                .isInstanceOf(LibvirtException.class)
                .hasMessageContaining("Connection refused");
    }
}
