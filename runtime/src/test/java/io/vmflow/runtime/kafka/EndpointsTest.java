package io.vmflow.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class EndpointsTest {

    @Test
    void environmentWinsOverSystemPropertiesWhichWinOverDefaults() {
        Properties sys = new Properties();
        sys.setProperty("kafka.bootstrap.servers", "sys:1");
        sys.setProperty("schema.registry.url", "http://sys:2");
        assertThat(Endpoints.from(Map.of(), new Properties()))
                .isEqualTo(new Endpoints("127.0.0.1:9092", "http://127.0.0.1:8081/apis/ccompat/v7"));
        assertThat(Endpoints.from(Map.of(), sys)).isEqualTo(new Endpoints("sys:1", "http://sys:2"));
        assertThat(Endpoints.from(
                        Map.of("KAFKA_BOOTSTRAP_SERVERS", "env:1", "SCHEMA_REGISTRY_URL", "http://env:2"), sys))
                .isEqualTo(new Endpoints("env:1", "http://env:2"));
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
