package io.vmflow.runtime.kafka;

import io.vmflow.schemas.reasons.ReasonCode;

/**
 * A record that decoded but cannot be acted on (validation failed). A {@link DecodingConsumer}
 * handler throws it to have the record dead-lettered with {@link #code()} as the reason.
 */
public class InvalidRecordException extends RuntimeException {

    private final String code;

    public InvalidRecordException(ReasonCode code, String message) {
        super(message);
        this.code = code.name();
    }

    public String code() {
        return code;
    }
}
