package io.vmflow.coordinator.engine;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Migrations by id, with the open ones (not in a final phase) kept apart and indexed by guest and by
 * destination host: admission looks only at open migrations (ended ones outnumber them more every
 * hour), and intake's one migration per guest and the planner's inbound count ask about one guest or
 * one host for each request (a walk over every open migration was a tenth of the coordinator's CPU at
 * fleet scale). Safe to read from other threads (the API) while one thread writes.
 */
final class Migrations {

    private final Map<String, Tracked> all = new ConcurrentHashMap<>();
    private final Map<String, Tracked> open = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Tracked>> openByGuest = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Tracked>> openByDestination = new ConcurrentHashMap<>();

    Tracked get(String id) {
        return all.get(id);
    }

    boolean containsKey(String id) {
        return all.containsKey(id);
    }

    void put(String id, Tracked t) {
        all.put(id, t);
        Tracked before = t.m().phase().isFinal() ? open.remove(id) : open.put(id, t);
        if (before != null) {
            unindex(id, before);
        }
        if (!t.m().phase().isFinal()) {
            index(openByGuest, t.m().spec().getGuest(), id, t);
            index(openByDestination, t.m().destinationHost(), id, t);
        }
    }

    void remove(String id) {
        all.remove(id);
        Tracked before = open.remove(id);
        if (before != null) {
            unindex(id, before);
        }
    }

    /** Removes every migration whose id matches. */
    void removeIf(Predicate<String> id) {
        all.keySet().removeIf(id);
        open.keySet().stream().filter(id).toList().forEach(this::remove);
    }

    void clear() {
        all.clear();
        open.clear();
        openByGuest.clear();
        openByDestination.clear();
    }

    /** The open migrations of a guest: a live view. */
    Collection<Tracked> openOfGuest(String guest) {
        return view(openByGuest, guest);
    }

    /** The open migrations whose destination is a host (planned ones; before planning it is not known). */
    Collection<Tracked> openTo(String host) {
        return view(openByDestination, host);
    }

    private static Collection<Tracked> view(Map<String, Map<String, Tracked>> index, String key) {
        Map<String, Tracked> m = key == null ? null : index.get(key);
        return m == null ? List.of() : Collections.unmodifiableCollection(m.values());
    }

    private void unindex(String id, Tracked t) {
        unindex(openByGuest, t.m().spec().getGuest(), id);
        unindex(openByDestination, t.m().destinationHost(), id);
    }

    private static void index(Map<String, Map<String, Tracked>> index, String key, String id, Tracked t) {
        if (key != null) {
            index.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).put(id, t);
        }
    }

    private static void unindex(Map<String, Map<String, Tracked>> index, String key, String id) {
        if (key != null) {
            index.computeIfPresent(key, (k, m) -> {
                m.remove(id);
                return m.isEmpty() ? null : m;
            });
        }
    }

    int size() {
        return all.size();
    }

    /** Every migration, ended ones included: a live view. */
    Collection<Tracked> values() {
        return Collections.unmodifiableCollection(all.values());
    }

    /** The migrations not in a final phase: a live view. */
    Collection<Tracked> open() {
        return Collections.unmodifiableCollection(open.values());
    }
}
