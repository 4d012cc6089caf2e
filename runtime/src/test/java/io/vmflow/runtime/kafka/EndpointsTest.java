package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class EndpointsTest {

    @Test
    void environmentWinsOverSystemPropertiesWhichWinOverDefaults() {
        Properties sys = new Properties();
        sys.setProperty("kafka.bootstrap.servers", "sys:1");
        sys.setProperty("schema.registry.url", "http://sys:2");
        sys.setProperty("vmflow.kafka.plaintext", "true");
        Properties plaintext = new Properties();
        plaintext.setProperty("vmflow.kafka.plaintext", "true");
        assertThat(Endpoints.from(Map.of(), plaintext))
                .isEqualTo(new Endpoints("127.0.0.1:9092", "http://127.0.0.1:8081/apis/ccompat/v7"));
        assertThat(Endpoints.from(Map.of(), sys)).isEqualTo(new Endpoints("sys:1", "http://sys:2"));
        assertThat(Endpoints.from(
                        Map.of("KAFKA_BOOTSTRAP_SERVERS", "env:1", "SCHEMA_REGISTRY_URL", "http://env:2"), sys))
                .isEqualTo(new Endpoints("env:1", "http://env:2"));
    }

    @Test
    void kafkaWithoutTlsNeedsTheExplicitDevelopmentSwitch(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThatThrownBy(() -> Endpoints.from(Map.of(), new Properties()))
                .hasMessageContaining("VMFLOW_KAFKA_TLS_DIR")
                .hasMessageContaining("VMFLOW_KAFKA_PLAINTEXT=true");
        assertThatThrownBy(() -> Endpoints.from(Map.of("VMFLOW_KAFKA_TLS_DIR", dir.toString()), new Properties()))
                .hasMessageContaining("cannot read " + dir.resolve("ca.crt"));
        java.nio.file.Files.writeString(dir.resolve("ca.crt"), "");
        java.nio.file.Files.writeString(dir.resolve("keystore.pem"), "");
        Endpoints tls = Endpoints.from(Map.of("VMFLOW_KAFKA_TLS_DIR", dir.toString()), new Properties());
        assertThat(tls.producer("p"))
                .containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.keystore.type", "PEM")
                .containsEntry(
                        "ssl.keystore.location", dir.resolve("keystore.pem").toString());
        assertThat(tls.admin()).containsEntry("security.protocol", "SSL");
        assertThat(tls.consumer("g", "c"))
                .containsEntry("ssl.truststore.location", dir.resolve("ca.crt").toString());
        assertThatThrownBy(() -> Endpoints.from(
                        Map.of("VMFLOW_KAFKA_TLS_DIR", dir.toString(), "VMFLOW_KAFKA_PLAINTEXT", "true"),
                        new Properties()))
                .hasMessageContaining("contradict");
    }

    @Test
    void producersAreIdempotentWithAcksAll() {
        Properties p = new Endpoints("b:1", "http://r").producer("test");
        assertThat(p).containsEntry("acks", "all").containsEntry("enable.idempotence", true);
        assertThat(new Endpoints("b:1", "http://r").consumer("g", "c"))
                .containsEntry("enable.auto.commit", false)
                .containsEntry("isolation.level", "read_committed");
    }
}
