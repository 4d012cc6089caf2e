package io.vmflow.schemas.reasons;

import io.vmflow.avro.Reason;

/**
 * The constant failure and refusal codes that travel in {@code Reason.code}, so dashboards can count
 * them (after KubeVirt's FailedMigrationReason). The message next to a code is for people and says
 * what happened and, where it can, what to do.
 */
public enum ReasonCode {
    // request validation (REJECTED)
    INVALID_REQUEST,
    UNKNOWN_SOURCE_HOST,
    UNKNOWN_DESTINATION_HOST,
    UNKNOWN_GUEST,
    GUEST_NOT_ON_SOURCE,
    TUNNELLED_WITHOUT_RELAY,
    MISSING_HYPERVISOR_URI,
    MALFORMED_URI,
    PORT_OUT_OF_RANGE,
    /** A number outside its documented bounds (Validator.BOUNDS), or a text longer than its limit. */
    VALUE_OUT_OF_RANGE,
    CONFLICTING_FLAGS,
    ALREADY_MIGRATING,
    NO_DESTINATION,
    // warnings carried by an ACCEPTED event (the request goes ahead)
    UNUSED_DESTINATION_URI,
    // refusals before any effect
    STALE_EPOCH,
    WRONG_HOST,
    MALFORMED_COMMAND,
    UNSUPPORTED_COMMAND,
    // libvirt / host conditions
    GUEST_NOT_FOUND,
    GUEST_NOT_RUNNING,
    GUEST_ALREADY_ON_DESTINATION,
    NAME_CONFLICT,
    INSUFFICIENT_MEMORY,
    CPU_INCOMPATIBLE,
    SAME_HOST,
    HOST_UNREACHABLE,
    UNSUPPORTED_FLAGS,
    MIGRATION_ABORTED,
    MIGRATION_FAILED,
    PEER_TIMEOUT,
    PEER_FAILED,
    // the tunnelled transport: the relays did not open the session, or a relay cut the stream
    TUNNEL_UNAVAILABLE,
    TUNNEL_FAILED,
    LEASE_LAPSED,
    AGENT_RESTARTED,
    GUEST_LEFT_PAUSED,
    HYPERVISOR_ERROR,
    INTERNAL_ERROR;

    public Reason reason(String message) {
        return new Reason(name(), message);
    }
}
