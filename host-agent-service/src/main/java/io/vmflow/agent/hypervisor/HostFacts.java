package io.vmflow.agent.hypervisor;

/** What the host state reports about the machine. */
public record HostFacts(
        String cpuModel,
        String cpuArch,
        int cpus,
        long memoryTotalBytes,
        long memoryFreeBytes,
        String libvirtVersion) {}
