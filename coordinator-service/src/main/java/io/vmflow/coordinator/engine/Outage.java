package io.vmflow.coordinator.engine;

import io.vmflow.runtime.registry.RegistryUnavailableException;
import io.vmflow.runtime.serde.UndecodableRecordException;

/** The broker or the registry cannot be reached: not any record's fault; the engine's session starts again. */
final class Outage extends RuntimeException {

    Outage(String message, Throwable cause) {
        super(message, cause);
    }

    /** The outage a failure amounts to, or null when it is the work's own fault. */
    static Outage of(Throwable e) {
        if (e instanceof Outage o) {
            return o;
        }
        if (e instanceof RegistryUnavailableException) {
            return new Outage("the schema registry is unavailable: " + e.getMessage(), e);
        }
        if (e instanceof UndecodableRecordException u && u.isTransient()) {
            return new Outage("the schema registry is unavailable: " + e.getMessage(), e);
        }
        return null;
    }
}
