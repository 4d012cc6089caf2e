package io.vmflow.runtime.security;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who a vmflow certificate says its holder is (ops/pki.sh issues them): a role and a name, written
 * twice, as the SAN URI {@code urn:vmflow:ROLE:NAME} and as the subject {@code CN=NAME,OU=ROLE}. Both
 * must agree, or the certificate names nobody. The relays and the Kafka brokers
 * ({@link KafkaPrincipals}) take the identity from here, so a relay certificate cannot act as an agent,
 * and hostA's certificate cannot act for hostB.
 *
 * @param role one of {@link #ROLES}
 * @param name the host id for agents and relays; the instance or person for the others
 */
public record Identity(String role, String name) {

    public static final String AGENT = "agent";
    public static final String RELAY = "relay";
    public static final String COORDINATOR = "coordinator";
    public static final String REQUESTER = "requester";
    public static final String ADMIN = "admin";
    public static final String BROKER = "broker";
    public static final Set<String> ROLES = Set.of(AGENT, RELAY, COORDINATOR, REQUESTER, ADMIN, BROKER);

    private static final String URN = "urn:vmflow:";
    private static final int SAN_URI = 6;

    public Identity {
        if (!ROLES.contains(role) || name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,62}")) {
            throw new IllegalArgumentException("not a vmflow identity: " + role + ":" + name);
        }
    }

    /** The identity a certificate carries, or empty when it carries none or two that disagree. */
    public static Optional<Identity> of(X509Certificate cert) {
        Identity fromSan = null;
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            for (List<?> san : names == null ? List.<List<?>>of() : names) {
                if (((Integer) san.get(0)) == SAN_URI && san.get(1).toString().startsWith(URN)) {
                    String[] parts =
                            san.get(1).toString().substring(URN.length()).split(":", -1);
                    if (parts.length != 2 || fromSan != null) {
                        return Optional.empty();
                    }
                    fromSan = new Identity(parts[0], parts[1]);
                }
            }
        } catch (CertificateParsingException | IllegalArgumentException e) {
            return Optional.empty();
        }
        if (fromSan == null) {
            return Optional.empty();
        }
        String cn = null;
        String ou = null;
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    cn = rdn.getValue().toString();
                } else if (rdn.getType().equalsIgnoreCase("OU")) {
                    ou = rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        return fromSan.name.equals(cn) && fromSan.role.equals(ou) ? Optional.of(fromSan) : Optional.empty();
    }

    /** The Kafka principal name, {@code ROLE.NAME} (as in {@code User:agent.hostA}). */
    public String principal() {
        return role + "." + name;
    }

    @Override
    public String toString() {
        return principal();
    }
}
