package io.vmflow.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.runtime.kafka.Endpoints;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentConfigTest {

    private static final Endpoints E = new Endpoints("k:9092", "http://r");

    private static Map<String, String> minimal() {
        Map<String, String> env = new HashMap<>();
        env.put("VMFLOW_AGENT_HOST_ID", "hostA");
        env.put("VMFLOW_AGENT_LIBVIRT_URI", "qemu:///system");
        return env;
    }

    @Test
    void defaultsFollowLibvirtAndTheDesign() {
        AgentConfig c = AgentConfig.from(minimal(), E);
        assertThat(c.portMin()).isEqualTo(49152);
        assertThat(c.portMax()).isEqualTo(49215);
        assertThat(c.workers()).isEqualTo(2);
        assertThat(c.stateInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.migrationAddresses()).isEmpty();
        assertThat(c.relayEndpoint()).isNull();
    }

    @Test
    void everyKeyIsParsedAndChecked() throws Exception {
        java.nio.file.Path cert = java.nio.file.Files.createTempFile("relay", ".crt");
        Map<String, String> env = minimal();
        env.put("VMFLOW_AGENT_RELAY_CERT", cert.toString());
        env.put("VMFLOW_AGENT_MIGRATION_ADDRESSES", "10.251.0.1, 10.250.0.1");
        env.put("VMFLOW_AGENT_MIGRATION_PORTS", "50000-50010");
        env.put("VMFLOW_AGENT_RELAY_ENDPOINT", "10.250.0.1:7443");
        AgentConfig c = AgentConfig.from(env, E);
        assertThat(c.migrationAddresses()).containsExactly("10.251.0.1", "10.250.0.1");
        assertThat(c.portMin()).isEqualTo(50000);
        assertThat(c.relayEndpoint()).isEqualTo("10.250.0.1:7443");
        assertThat(c.describe()).containsEntry("migrationPorts", "50000-50010");
        assertThat(c.relaySocketDir()).isEqualTo("/run/libvirt/vmflow-relay");
        env.remove("VMFLOW_AGENT_RELAY_CERT");
        assertThatThrownBy(() -> AgentConfig.from(env, E)).hasMessageContaining("VMFLOW_AGENT_RELAY_CERT must");
    }

    @Test
    void mistakesAreRefusedWithWhatToDo() {
        Map<String, String> typo = minimal();
        typo.put("VMFLOW_AGENT_WORKER", "4");
        assertThatThrownBy(() -> AgentConfig.from(typo, E))
                .hasMessageContaining("unknown configuration keys")
                .hasMessageContaining("VMFLOW_AGENT_WORKER");
        Map<String, String> ports = minimal();
        ports.put("VMFLOW_AGENT_MIGRATION_PORTS", "49215-49152");
        assertThatThrownBy(() -> AgentConfig.from(ports, E)).hasMessageContaining("MIN-MAX");
        Map<String, String> host = minimal();
        host.put("VMFLOW_AGENT_HOST_ID", "host/A");
        assertThatThrownBy(() -> AgentConfig.from(host, E)).hasMessageContaining("not a valid host id");
        Map<String, String> noUri = minimal();
        noUri.remove("VMFLOW_AGENT_LIBVIRT_URI");
        assertThatThrownBy(() -> AgentConfig.from(noUri, E))
                .hasMessageContaining("VMFLOW_AGENT_LIBVIRT_URI is required");
        Map<String, String> pki = minimal();
        pki.put("VMFLOW_AGENT_LIBVIRT_PKI", "/nonexistent/agent.hostA/libvirt");
        assertThatThrownBy(() -> AgentConfig.from(pki, E))
                .hasMessageContaining("no readable cacert.pem")
                .hasMessageContaining("ops/pki.sh");
    }
}
