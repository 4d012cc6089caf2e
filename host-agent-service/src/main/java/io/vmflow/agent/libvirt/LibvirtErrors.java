package io.vmflow.agent.libvirt;

import io.vmflow.agent.hypervisor.HypervisorException;
import io.vmflow.schemas.reasons.ReasonCode;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;

/** libvirt's errors as vmflow's reason codes, keeping libvirt's own message. */
final class LibvirtErrors {

    private LibvirtErrors() {}

    /** Classifies a libvirt error by its number and, where libvirt shares a number, by its message. */
    static HypervisorException from(String what, LibvirtException e) {
        String msg = e.getError() == null
                ? String.valueOf(e.getMessage())
                : e.getError().getMessage();
        ErrorNumber n = e.getError() == null
                ? ErrorNumber.VIR_ERR_UNKNOWN
                : e.getError().getCode();
        String lower = msg == null ? "" : msg.toLowerCase();
        ReasonCode code;
        if (n == ErrorNumber.VIR_ERR_NO_DOMAIN) {
            code = ReasonCode.GUEST_NOT_FOUND;
        } else if (lower.contains("same host")) {
            code = ReasonCode.SAME_HOST;
        } else if (n == ErrorNumber.VIR_ERR_OPERATION_ABORTED || lower.contains("canceled by client")) {
            code = ReasonCode.MIGRATION_ABORTED;
        } else if (lower.contains("unable to connect")
                || lower.contains("no route to host")
                || lower.contains("connection refused")
                || n == ErrorNumber.VIR_ERR_NO_CONNECT) {
            code = ReasonCode.HOST_UNREACHABLE;
        } else if (lower.contains("already exists with uuid")) {
            code = ReasonCode.NAME_CONFLICT;
        } else if (n == ErrorNumber.VIR_ERR_DOM_EXIST
                || lower.contains("already active")
                || lower.contains("already running")) {
            code = ReasonCode.GUEST_ALREADY_ON_DESTINATION;
        } else if (n == ErrorNumber.VIR_ERR_CPU_INCOMPATIBLE) {
            code = ReasonCode.CPU_INCOMPATIBLE;
        } else if (n == ErrorNumber.VIR_ERR_ARGUMENT_UNSUPPORTED
                || n == ErrorNumber.VIR_ERR_OPERATION_UNSUPPORTED
                || lower.contains("without using peer2peer")
                || n == ErrorNumber.VIR_ERR_MIGRATE_UNSAFE) {
            code = ReasonCode.UNSUPPORTED_FLAGS;
        } else if (n == ErrorNumber.VIR_ERR_OPERATION_INVALID && lower.contains("not running")) {
            code = ReasonCode.GUEST_NOT_RUNNING;
        } else {
            code = ReasonCode.HYPERVISOR_ERROR;
        }
        return new HypervisorException(code, what + ": " + msg, e);
    }
}
