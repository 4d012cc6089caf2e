package io.vmflow.agent.hypervisor;

import io.vmflow.avro.Reason;
import io.vmflow.schemas.reasons.ReasonCode;

/** A hypervisor failure as one of vmflow's reason codes, with the hypervisor's own message. */
public class HypervisorException extends Exception {

    private final ReasonCode code;

    public HypervisorException(ReasonCode code, String message) {
        super(message);
        this.code = code;
    }

    public HypervisorException(ReasonCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ReasonCode code() {
        return code;
    }

    public Reason reason() {
        return code.reason(getMessage());
    }
}
