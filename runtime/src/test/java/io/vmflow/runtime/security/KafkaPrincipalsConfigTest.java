package io.vmflow.runtime.security;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A broker told to read a revocation list it cannot read does not start believing nobody is revoked. */
class KafkaPrincipalsConfigTest {

    @Test
    void aMissingOrGarbledListStopsTheBrokersStartWithWhatToDo() throws Exception {
        assertThatThrownBy(
                        () -> new KafkaPrincipals().configure(Map.of(KafkaPrincipals.CRL_FILE, "/nonexistent/crl.pem")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/nonexistent/crl.pem")
                .hasMessageContaining("ops/pki.sh");
        Path garbled = Files.createTempFile("crl", ".pem");
        Files.writeString(garbled, "-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n");
        try {
            assertThatThrownBy(
                            () -> new KafkaPrincipals().configure(Map.of(KafkaPrincipals.CRL_FILE, garbled.toString())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot read the revocation list");
        } finally {
            Files.delete(garbled);
        }
    }
}
