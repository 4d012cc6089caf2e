package io.vmflow.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The agent brings its own certificate to every TLS libvirt URI; the URI it registers stays clean. */
class LibvirtConnectionUriTest {

    private static final Path PKI = Path.of("/var/lib/vmflow/pki/agent.hostA/libvirt");

    @Test
    void aTlsUriGetsTheAgentsPkiPath() {
        assertThat(LibvirtConnection.withPki("qemu+tls://10.250.0.1/system", PKI))
                .isEqualTo("qemu+tls://10.250.0.1/system?pkipath=/var/lib/vmflow/pki/agent.hostA/libvirt");
        assertThat(LibvirtConnection.withPki("qemu+tls://h/system?mode=direct", PKI))
                .isEqualTo("qemu+tls://h/system?mode=direct&pkipath=/var/lib/vmflow/pki/agent.hostA/libvirt");
    }

    @Test
    void otherUrisAndUrisNamingTheirOwnPathAreLeftAlone() {
        assertThat(LibvirtConnection.withPki("qemu:///system", PKI)).isEqualTo("qemu:///system");
        assertThat(LibvirtConnection.withPki("qemu+tcp://h/system", PKI)).isEqualTo("qemu+tcp://h/system");
        assertThat(LibvirtConnection.withPki("qemu+tls://h/system?pkipath=/x", PKI))
                .isEqualTo("qemu+tls://h/system?pkipath=/x");
        assertThat(LibvirtConnection.withPki("qemu+tls://h/system", null)).isEqualTo("qemu+tls://h/system");
    }

    @Test
    void aPathWithUnusualCharactersIsEscaped() {
        assertThat(LibvirtConnection.withPki("qemu+tls://h/system", Path.of("/srv/my pki&x")))
                .isEqualTo("qemu+tls://h/system?pkipath=/srv/my%20pki%26x");
    }
}
