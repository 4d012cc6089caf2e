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
    /** A destinationUri that is neither a registered host's libvirt URI nor an allowed foreign destination. */
    DESTINATION_NOT_ALLOWED,
    /** A migrationUri whose address is not the destination's (for unmanaged: not a registered host's). */
    MIGRATION_URI_NOT_ALLOWED,
    /** A libvirt URI query parameter (command=, socket=, no_verify=, ...) that is not on the allowlist. */
    URI_PARAMETER_NOT_ALLOWED,
    /** A sourceUri that is not the source host's registered libvirt URI. */
    SOURCE_URI_MISMATCH,
    /** A number outside its documented bounds (Validator.BOUNDS), or a text longer than its limit. */
    VALUE_OUT_OF_RANGE,
    CONFLICTING_FLAGS,
    ALREADY_MIGRATING,
    NO_DESTINATION,
    /** The request could not be decoded; it is rejected under the id its key gave. */
    UNDECODABLE_REQUEST,
    // warnings carried by an ACCEPTED event (the request goes ahead)
    UNUSED_DESTINATION_URI,
    // what the coordinator decided on its own
    /** Waiting for an admission slot (the message says which limit). */
    QUEUED,
    /** An unmanaged migration was handed to the hypervisor, which migrates the guest on its own. */
    HANDED_OFF,
    /** A phase not reported in time but implied by a later report. */
    INFERRED,
    /** Cancelled by a principal. */
    CANCELLED,
    /** The migration job ran longer than its completion timeout. */
    COMPLETION_TIMEOUT,
    /** The migration job made no progress for the stall timeout. */
    STALLED,
    /** A step (BEGIN, PREPARE, FINISH, CONFIRM, ABORT, a hand-off's start) got no answer in time. */
    STEP_TIMEOUT,
    /** A request waited for an admission slot longer than the queue timeout. */
    QUEUE_TIMEOUT,
    /** The migration was cancelled or timed out, but the guest had already arrived. */
    ABORT_TOO_LATE,
    /** The source could not abort: the guest may be left paused. */
    ABORT_FAILED,
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
    INTERNAL_ERROR,
    // a relay's refusal of a stream (tunnel reports, vmflow_relay_refused_total{reason}); the stream never
    // reaches the hypervisor
    /** The relay is stopping and takes no new stream. */
    SHUTTING_DOWN,
    /** The peer presented no client certificate of the vmflow CA. */
    NO_CLIENT_CERTIFICATE,
    /** The peer sent no preamble line in time. */
    PREAMBLE_TIMEOUT,
    /** The preamble was not {@code VMFLOW/1 <session> <credential>}. */
    BAD_PREAMBLE,
    /** No session of that id was authorised on this relay. */
    UNKNOWN_SESSION,
    /** The credential does not match the session's. */
    WRONG_CREDENTIAL,
    /** The session expired before its stream came. */
    EXPIRED,
    /** The session's single stream was already used. */
    ALREADY_USED,
    /** The session is not for this relay. */
    NOT_HERE,
    /** The local hypervisor's incoming endpoint did not answer. */
    TARGET_UNREACHABLE,
    // dead letters (the vmflow.dlt.reason header) besides the decoding failures of UndecodableRecordException
    /** A consumer failed on a record it could decode. */
    PROCESSING_FAILED,
    /** A report, cancel or HTTP call about a migration this coordinator does not know. */
    UNKNOWN_MIGRATION,
    /** A cancel the state machine refused (too late, already aborting). */
    CANCEL_REFUSED,
    /** A report or host state naming another host than the one whose topic it is on. */
    NOT_ITS_HOST,
    /** A tunnel session whose fields break the relay's rules. */
    MALFORMED_SESSION,
    /** A tunnel session whose sealed credential this relay cannot open. */
    CREDENTIAL_UNREADABLE;

    public Reason reason(String message) {
        return new Reason(name(), message);
    }
}
