package io.vmflow.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who a certificate names: ops/pki.sh's, and certificates whose two names disagree or are missing. */
class IdentityTest {

    @TempDir
    Path dir;

    @Test
    void aCertificateFromThePkiNamesItsRoleAndHost() throws Exception {
        run("../ops/pki.sh", dir.toString(), "hosts", "hostA=127.0.0.1");
        assertThat(Identity.of(cert(dir.resolve("relay.hostA/cert.pem"))))
                .contains(new Identity(Identity.RELAY, "hostA"));
        assertThat(Identity.of(cert(dir.resolve("agent.hostA/cert.pem")))).hasValueSatisfying(id -> {
            assertThat(id.principal()).isEqualTo("agent.hostA");
        });
    }

    @Test
    void aCertificateWhoseSanAndSubjectDisagreeOrThatHasNoVmflowNameNamesNobody() throws Exception {
        assertThat(selfSigned("/O=vmflow/OU=agent/CN=hostA", "URI:urn:vmflow:agent:hostB"))
                .as("SAN says hostB, subject hostA")
                .isEmpty();
        assertThat(selfSigned("/O=vmflow/OU=relay/CN=hostA", "URI:urn:vmflow:agent:hostA"))
                .as("SAN says agent, subject relay")
                .isEmpty();
        assertThat(selfSigned("/O=vmflow/OU=agent/CN=hostA", "DNS:hostA"))
                .as("no vmflow URI")
                .isEmpty();
        assertThat(selfSigned("/O=vmflow/OU=root/CN=hostA", "URI:urn:vmflow:root:hostA"))
                .as("no such role")
                .isEmpty();
        assertThat(selfSigned("/O=vmflow/OU=agent/CN=hostA", "URI:urn:vmflow:agent:hostA,URI:urn:vmflow:admin:x"))
                .as("two vmflow names")
                .isEmpty();
        assertThat(selfSigned("/O=vmflow/OU=agent/CN=hostA", "URI:urn:vmflow:agent:hostA"))
                .contains(new Identity(Identity.AGENT, "hostA"));
    }

    private Optional<Identity> selfSigned(String subject, String san) throws Exception {
        Path key = dir.resolve("k.pem");
        Path cert = dir.resolve("c.pem");
        run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-days",
                "1",
                "-subj",
                subject,
                "-addext",
                "subjectAltName=" + san);
        return Identity.of(cert(cert));
    }

    private static X509Certificate cert(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", List.of(cmd), out).isZero();
    }
}
