package io.vmflow.agent.hypervisor;

import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Transport;

/**
 * The libvirt flags and typed parameters for one migration, from the request's spec: LIVE (or
 * OFFLINE), PERSIST_DEST, UNDEFINE_SOURCE, AUTO_CONVERGE, POSTCOPY, TLS (QEMU's own encryption of a
 * native stream); PEER2PEER for the peer-to-peer
 * flow; TUNNELED for libvirt's own tunnel (a destination without a vmflow relay).
 *
 * @param migrationUri the hypervisor-specific URI (seed URI 3), or null to let libvirt choose
 */
public record MigrationOptions(String guest, long flags, String migrationUri, Long bandwidthMiBps) {

    /** libvirt's virDomainMigrateFlags values (a stable ABI; the adapter's test checks them against libvirt-java). */
    public static final class MigrateFlags {
        public static final int LIVE = 1;
        public static final int PEER2PEER = 1 << 1;
        public static final int TUNNELED = 1 << 2;
        public static final int PERSIST_DEST = 1 << 3;
        public static final int UNDEFINE_SOURCE = 1 << 4;
        public static final int OFFLINE = 1 << 10;
        public static final int AUTO_CONVERGE = 1 << 13;
        public static final int POSTCOPY = 1 << 15;
        public static final int TLS = 1 << 16;

        private MigrateFlags() {}
    }

    public static MigrationOptions of(
            MigrationSpec spec, String migrationUri, boolean peerToPeer, boolean libvirtTunnel) {
        long flags = 0;
        flags |= spec.getLive() ? MigrateFlags.LIVE : MigrateFlags.OFFLINE;
        if (spec.getPersistDest() || !spec.getLive()) {
            flags |= MigrateFlags.PERSIST_DEST; // libvirt requires it for an offline migration
        }
        if (spec.getUndefineSource()) {
            flags |= MigrateFlags.UNDEFINE_SOURCE;
        }
        if (spec.getAutoConverge()) {
            flags |= MigrateFlags.AUTO_CONVERGE;
        }
        if (spec.getPostCopy()) {
            flags |= MigrateFlags.POSTCOPY;
        }
        if (spec.getTls()) {
            flags |= MigrateFlags.TLS;
        }
        if (peerToPeer) {
            flags |= MigrateFlags.PEER2PEER;
        }
        if (libvirtTunnel && spec.getTransport() == Transport.TUNNELLED) {
            flags |= MigrateFlags.TUNNELED;
        }
        return new MigrationOptions(
                spec.getGuest(), flags, libvirtTunnel ? null : migrationUri, spec.getBandwidthMiBps());
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
