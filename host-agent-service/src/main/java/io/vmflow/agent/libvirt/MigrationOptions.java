package io.vmflow.agent.libvirt;

import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Transport;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Domain.MigrateFlags;
import org.libvirt.TypedParameter;
import org.libvirt.TypedStringParameter;
import org.libvirt.TypedUlongParameter;

/**
 * The libvirt flags and typed parameters for one migration, from the request's spec: LIVE (or
 * OFFLINE), PERSIST_DEST, UNDEFINE_SOURCE, AUTO_CONVERGE, POSTCOPY; PEER2PEER for the peer-to-peer
 * flow; TUNNELED for libvirt's own tunnel (a destination without a vmflow relay).
 *
 * @param migrationUri the hypervisor-specific URI (seed URI 3), or null to let libvirt choose
 */
public record MigrationOptions(String guest, long flags, String migrationUri, Long bandwidthMiBps) {

    public static MigrationOptions of(MigrationSpec spec, String migrationUri, boolean peerToPeer,
            boolean libvirtTunnel) {
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
        if (peerToPeer) {
            flags |= MigrateFlags.PEER2PEER;
        }
        if (libvirtTunnel && spec.getTransport() == Transport.TUNNELLED) {
            flags |= MigrateFlags.TUNNELED;
        }
        return new MigrationOptions(spec.getGuest(), flags, libvirtTunnel ? null : migrationUri,
                spec.getBandwidthMiBps());
    }

    /** virDomainMigrate3 / virDomainMigrateToURI3 parameters; never empty (libvirt-java cannot pass none). */
    TypedParameter[] parameters() {
        List<TypedParameter> p = new ArrayList<>();
        p.add(new TypedStringParameter("destination_name", guest));
        if (migrationUri != null) {
            p.add(new TypedStringParameter("migrate_uri", migrationUri));
        }
        if (bandwidthMiBps != null && bandwidthMiBps > 0) {
            p.add(new TypedUlongParameter("bandwidth", bandwidthMiBps));
        }
        return p.toArray(new TypedParameter[0]);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
