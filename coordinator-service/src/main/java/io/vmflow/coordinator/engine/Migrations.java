package io.vmflow.coordinator.engine;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Migrations by id, with the open ones (not in a final phase) kept apart: admission, intake's one
 * migration per guest and the planner's inbound counts look only at open migrations, and ended ones
 * outnumber them more every hour. Safe to read from other threads (the API) while one thread writes.
 */
final class Migrations {

    private final Map<String, Tracked> all = new ConcurrentHashMap<>();
    private final Map<String, Tracked> open = new ConcurrentHashMap<>();

    Tracked get(String id) {
        return all.get(id);
    }

    boolean containsKey(String id) {
        return all.containsKey(id);
    }

    void put(String id, Tracked t) {
        all.put(id, t);
        if (t.m().phase().isFinal()) {
            open.remove(id);
        } else {
            open.put(id, t);
        }
    }

    void remove(String id) {
        all.remove(id);
        open.remove(id);
    }

    /** Removes every migration whose id matches. */
    void removeIf(Predicate<String> id) {
        all.keySet().removeIf(id);
        open.keySet().removeIf(id);
    }

    void clear() {
        all.clear();
        open.clear();
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
