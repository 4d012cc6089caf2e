package io.vmflow.agent.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DomainXmlTest {

    @Test
    void readsTypeNameUuidMemoryAndCpu() {
        DomainXml x = DomainXml.parse("""
                <domain type='kvm'><name>web-1</name><uuid>6f1f5b1e-6a8c-4e9f-9f7e-2b8f0f2c1a11</uuid>
                <memory unit='MiB'>256</memory><cpu mode='custom'><model>Haswell</model></cpu></domain>""");
        assertThat(x.type()).isEqualTo("kvm");
        assertThat(x.name()).isEqualTo("web-1");
        assertThat(x.uuid()).isEqualTo("6f1f5b1e-6a8c-4e9f-9f7e-2b8f0f2c1a11");
        assertThat(x.memoryBytes()).isEqualTo(256L << 20);
        assertThat(x.cpuXml()).contains("Haswell");
        assertThat(x.usesHostCpu()).isTrue();
    }

    @Test
    void tcgGuestsEmulateTheirCpuAndMemoryDefaultsToKib() {
        DomainXml x = DomainXml.parse("<domain type='qemu'><name>g</name><memory>131072</memory></domain>");
        assertThat(x.usesHostCpu()).isFalse();
        assertThat(x.memoryBytes()).isEqualTo(128L << 20);
        assertThat(x.cpuXml()).isNull();
    }

    @Test
    void hostileXmlIsRefused() {
        assertThatThrownBy(() ->
                        DomainXml.parse("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DomainXml.parse("not xml")).isInstanceOf(IllegalArgumentException.class);
    }
}
