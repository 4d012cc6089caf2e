package io.vmflow.ops.setup;

import io.vmflow.runtime.security.Identity;
import io.vmflow.runtime.security.KafkaAccess;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.SecurityDisabledException;

/** Grants principals the ACLs of their role ({@link KafkaAccess}) and deletes revoked principals' ACLs. */
public final class AccessSetup {

    private final Admin admin;

    public AccessSetup(Admin admin) {
        this.admin = admin;
    }

    /** A principal as {@code ROLE.NAME}, as ops/pki.sh names its directory. */
    public static Identity identity(String roleDotName) {
        int dot = roleDotName.indexOf('.');
        if (dot < 1) {
            throw new IllegalArgumentException(
                    "'" + roleDotName + "' is not ROLE.NAME (e.g. requester.alice); roles: " + Identity.ROLES);
        }
        return new Identity(roleDotName.substring(0, dot), roleDotName.substring(dot + 1));
    }

    /**
     * Creates (again: creating an existing ACL changes nothing) and deletes ACLs, and deletes what a
     * granted principal holds beyond its role's ACLs now; one line per principal.
     */
    public List<String> grant(List<Identity> granted, List<Identity> revoked)
            throws InterruptedException, ExecutionException {
        List<String> lines = new ArrayList<>();
        try {
            for (Identity who : revoked) {
                int n = admin.deleteAcls(List.of(KafkaAccess.all(who)))
                        .all()
                        .get()
                        .size();
                lines.add(String.format("acl     %-36s revoked  %d ACLs deleted", "User:" + who.principal(), n));
            }
            for (Identity who : granted) {
                List<AclBinding> acls = KafkaAccess.of(who);
                if (!acls.isEmpty()) {
                    admin.createAcls(acls).all().get();
                }
                // what an older vmflow granted and this one no longer does goes (an upgrade narrows access)
                List<AclBindingFilter> stale = admin.describeAcls(KafkaAccess.all(who)).values().get().stream()
                        .filter(b -> !acls.contains(b))
                        .map(AclBinding::toFilter)
                        .toList();
                if (!stale.isEmpty()) {
                    admin.deleteAcls(stale).all().get();
                }
                lines.add(String.format(
                        "acl     %-36s granted  %d ACLs (%s)%s",
                        "User:" + who.principal(),
                        acls.size(),
                        who.role(),
                        stale.isEmpty() ? "" : ", " + stale.size() + " no longer granted deleted"));
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SecurityDisabledException) {
                lines.add(
                        "acl     (none: the broker has no authorizer; it runs with the plaintext development switch)");
                return lines;
            }
            throw e;
        }
        return lines;
    }
}
