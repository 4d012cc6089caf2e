package io.vmflow.runtime.registry;

/** The schema registry could not be reached, or failed on its side (5xx), after the bounded retries. */
public class RegistryUnavailableException extends SchemaRegistryException {

    public RegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public RegistryUnavailableException(String message, int status) {
        super(message, status, -1);
    }
}
