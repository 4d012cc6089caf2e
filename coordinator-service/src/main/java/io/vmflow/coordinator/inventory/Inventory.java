package io.vmflow.coordinator.inventory;

import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.HostState;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The latest state each host agent published (its inventory, capacity, addresses, heartbeat). */
public final class Inventory {

    private final Map<String, HostState> hosts = new ConcurrentHashMap<>();

    public void update(HostState s) {
        hosts.put(s.getHostId(), s);
    }

    public void remove(String hostId) {
        hosts.remove(hostId);
    }

    public Optional<HostState> host(String hostId) {
        return Optional.ofNullable(hostId == null ? null : hosts.get(hostId));
    }

    public Collection<HostState> hosts() {
        return hosts.values();
    }

    /** A guest on a host, by name or UUID. */
    public Optional<GuestInfo> guest(String hostId, String guest) {
        return host(hostId)
                .flatMap(h -> h.getGuests().stream()
                        .filter(g -> g.getName().equals(guest) || g.getUuid().equalsIgnoreCase(guest))
                        .findFirst());
    }

    /** The hosts (other than the one given) where a guest runs. */
    public Optional<String> whereRuns(String guest, String except) {
        return hosts.values().stream()
                .filter(h -> !h.getHostId().equals(except))
                .filter(h -> h.getGuests().stream()
                        .anyMatch(g -> g.getName().equals(guest)
                                && (g.getState() == io.vmflow.avro.GuestState.RUNNING
                                        || g.getState() == io.vmflow.avro.GuestState.PAUSED)))
                .map(HostState::getHostId)
                .findFirst();
    }
}
