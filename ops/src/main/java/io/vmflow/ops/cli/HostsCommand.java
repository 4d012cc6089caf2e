package io.vmflow.ops.cli;

import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.HostState;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.serde.WireFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

/** Every host's latest state from the compacted host-state topic: liveness, load, limits, relay, guests. */
@Command(
        name = "hosts",
        mixinStandardHelpOptions = true,
        description = "The hosts as their agents last reported them (state, heartbeat age, guests, load, relay).")
final class HostsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        Endpoints endpoints = Endpoints.fromEnvironment();
        WireFormat wire = new WireFormat(endpoints.registry());
        var hosts = HostLookup.all(endpoints, wire).values().stream()
                .sorted(Comparator.comparing(HostState::getHostId))
                .toList();
        if (hosts.isEmpty()) {
            System.out.println("no host has reported yet: start an agent per host (ops/agents.sh up), and check"
                    + " KAFKA_BOOTSTRAP_SERVERS (" + endpoints.bootstrapServers() + ")");
            return 1;
        }
        System.out.printf(
                "%-10s %-9s %8s %10s %13s %-12s %-17s %-16s %s%n",
                "host", "state", "seen", "migrating", "free/total", "ports", "migration net", "relay", "guests");
        for (HostState h : hosts) {
            long age = Duration.between(h.getReportedAt(), Instant.now()).toSeconds();
            String guests = h.getGuests().stream()
                    .map(g -> g.getName() + "(" + state(g) + ")")
                    .collect(Collectors.joining(" "));
            System.out.printf(
                    "%-10s %-9s %7ds %10d %6d/%-6d %-12s %-17s %-16s %s%n",
                    h.getHostId(),
                    age > 30 && h.getLiveness() != io.vmflow.avro.Liveness.DOWN ? "SILENT" : h.getLiveness(),
                    age,
                    h.getRunningMigrations(),
                    h.getMemoryFreeBytes() >> 20,
                    h.getMemoryTotalBytes() >> 20,
                    h.getMigrationPortMin() + "-" + h.getMigrationPortMax(),
                    String.join(",", h.getMigrationAddresses()),
                    h.getRelayEndpoint() == null ? "-" : h.getRelayEndpoint(),
                    guests.isEmpty() ? "-" : guests);
        }
        System.out.println("(free/total memory in MiB; SILENT: no heartbeat for over 30 s)");
        return 0;
    }

    private static String state(GuestInfo g) {
        return g.getState().name().toLowerCase() + (g.getPersistent() ? ",persistent" : "");
    }
}
