package io.vmflow.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.security.Jwt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorConfigTest {

    static final Endpoints ENDPOINTS = new Endpoints("127.0.0.1:1", "http://127.0.0.1:2");

    @Test
    void theApiDoesNotStartWithoutKeysToVerifyItsTokens() {
        assertThatThrownBy(() -> CoordinatorConfig.from(Map.of(), ENDPOINTS))
                .hasMessageContaining("VMFLOW_COORDINATOR_JWT_KEYS")
                .hasMessageContaining("VMFLOW_COORDINATOR_HTTP=off");
        assertThatThrownBy(() -> CoordinatorConfig.from(
                        Map.of("VMFLOW_COORDINATOR_JWT_KEYS", "/nonexistent/keys.pem"), ENDPOINTS))
                .hasMessageContaining("cannot read verification keys");
        assertThatThrownBy(() -> CoordinatorConfig.from(Map.of("VMFLOW_COORDINATOR_HTTP_AUTH", "none"), ENDPOINTS))
                .hasMessageContaining("'jwt' (the default) or 'off'");
        assertThat(CoordinatorConfig.from(Map.of("VMFLOW_COORDINATOR_HTTP", "off"), ENDPOINTS)
                        .httpTokens())
                .as("no API, nothing to verify")
                .isNull();
        assertThat(CoordinatorConfig.from(Map.of("VMFLOW_COORDINATOR_HTTP_AUTH", "off"), ENDPOINTS)
                        .describe()
                        .get("http auth"))
                .isEqualTo("OFF (development only)");
    }

    @Test
    void keysFromAFileGiveAVerifierWithTheConfiguredAudienceAndIssuer(@TempDir Path dir) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        Path keys = dir.resolve("keys.pem");
        Files.writeString(keys, Jwt.pem(g.generateKeyPair().getPublic()));
        CoordinatorConfig c = CoordinatorConfig.from(
                Map.of(
                        "VMFLOW_COORDINATOR_JWT_KEYS", keys.toString(),
                        "VMFLOW_COORDINATOR_JWT_ISSUER", "https://idp.example",
                        "VMFLOW_COORDINATOR_FOREIGN_DESTINATIONS", "qemu+tls://*.legacy.example/system"),
                ENDPOINTS);
        assertThat(c.httpTokens().keys()).hasSize(1);
        assertThat(c.httpTokens().audience()).isEqualTo("vmflow");
        assertThat(c.httpTokens().issuer()).isEqualTo("https://idp.example");
        assertThat(c.destinations().allowsForeign("qemu+tls://old-7.legacy.example/system"))
                .isTrue();
        assertThat(c.destinations().allowsForeign("qemu+tls://evil.example/system"))
                .isFalse();
    }

    @Test
    void theApiServesTlsWithTheCoordinatorsOwnCertificateUnlessToldOtherwise(@TempDir Path dir) throws Exception {
        Path principal = Files.createDirectories(dir.resolve("coordinator.c1"));
        for (String f : new String[] {"cert.pem", "key.pem", "ca.crt", "keystore.pem"}) {
            Files.writeString(principal.resolve(f), "-");
        }
        Endpoints tls = new Endpoints("127.0.0.1:1", "http://127.0.0.1:2", principal);
        Map<String, String> auth = Map.of("VMFLOW_COORDINATOR_HTTP_AUTH", "off");
        assertThat(CoordinatorConfig.from(auth, tls).httpTls())
                .as("the Kafka principal's directory")
                .isEqualTo(principal);
        assertThat(CoordinatorConfig.from(auth, ENDPOINTS).httpTls())
                .as("Kafka's plaintext development switch")
                .isNull();
        Map<String, String> off = new java.util.HashMap<>(auth);
        off.put("VMFLOW_COORDINATOR_HTTP_TLS_DIR", "off");
        CoordinatorConfig plain = CoordinatorConfig.from(off, tls);
        assertThat(plain.httpTls()).isNull();
        assertThat(plain.describe().get("http").toString()).contains("PLAIN HTTP");

        Map<String, String> elsewhere = new java.util.HashMap<>(auth);
        elsewhere.put("VMFLOW_COORDINATOR_HTTP_TLS_DIR", dir.resolve("missing").toString());
        assertThatThrownBy(() -> CoordinatorConfig.from(elsewhere, tls))
                .hasMessageContaining("cert.pem")
                .hasMessageContaining("VMFLOW_COORDINATOR_HTTP_TLS_DIR");
    }
}
