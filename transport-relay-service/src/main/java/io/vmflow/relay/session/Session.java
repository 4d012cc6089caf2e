package io.vmflow.relay.session;

import java.time.Instant;

/**
 * One tunnel the control plane authorised: the destination relay accepts exactly one stream for it,
 * from the expected source host, presenting the credential whose SHA-256 it holds, before expiry.
 *
 * @param id               session id (the stream's preamble names it)
 * @param migrationId      the migration it carries
 * @param sourceHost       the host whose certificate must open it
 * @param destinationHost  the host whose relay accepts it
 * @param target           where the destination relay delivers ("unix:/path" or host:port): the hypervisor's incoming endpoint
 * @param credentialSha256 the digest of the single-use credential
 * @param expiresAt        no stream is accepted after this
 */
public record Session(
        String id,
        String migrationId,
        String sourceHost,
        String destinationHost,
        String target,
        byte[] credentialSha256,
        Instant expiresAt) {}
