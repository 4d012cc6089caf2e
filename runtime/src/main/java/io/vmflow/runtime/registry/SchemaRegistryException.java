package io.vmflow.runtime.registry;

/**
 * The schema registry answered with an error. {@link #status()} is the HTTP status and
 * {@link #errorCode()} Confluent's {@code error_code} (40401 subject not found, 40403 schema not
 * found, 409 incompatible, 42201 invalid schema...), or -1 when the body had none.
 */
public class SchemaRegistryException extends RuntimeException {

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
        this.errorCode = -1;
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    /** The schema id or subject does not exist in the registry. */
    public boolean isNotFound() {
        return status == 404;
    }

    /** The registry refused a schema as incompatible with the subject's earlier versions. */
    public boolean isIncompatible() {
        return status == 409;
    }
}
