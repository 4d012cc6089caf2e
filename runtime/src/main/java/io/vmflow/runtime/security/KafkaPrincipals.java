package io.vmflow.runtime.security;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.kafka.common.security.auth.AuthenticationContext;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.KafkaPrincipalBuilder;
import org.apache.kafka.common.security.auth.SslAuthenticationContext;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;

/**
 * The Kafka brokers' principal builder ({@code principal.builder.class}): a client that presents a
 * vmflow certificate is {@code User:ROLE.NAME} from its {@link Identity} (SAN and subject agreeing);
 * any other client is {@code User:ANONYMOUS}, which no ACL names, so the authorizer refuses it
 * everything. With {@value #CRL_FILE} in the broker's configuration, a revoked certificate is
 * {@code User:ANONYMOUS} too, from the first connection after the list changed (a connection made
 * before keeps its principal until it closes). Loaded by the broker from this jar alone: it uses
 * nothing but the JDK and kafka-clients.
 */
public final class KafkaPrincipals implements KafkaPrincipalBuilder, org.apache.kafka.common.Configurable {

    /** The broker setting naming the CA's revocation list (PEM), e.g. the broker's own crl.pem. */
    public static final String CRL_FILE = "vmflow.crl.file";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KafkaPrincipals.class);

    private final DefaultKafkaPrincipalBuilder serde = new DefaultKafkaPrincipalBuilder(null, null);
    private volatile RevocationList revoked;

    @Override
    public void configure(java.util.Map<String, ?> configs) {
        Object file = configs.get(CRL_FILE);
        if (file != null && !file.toString().isBlank()) {
            revoked = new RevocationList(java.nio.file.Path.of(file.toString().trim()));
        }
    }

    @Override
    public KafkaPrincipal build(AuthenticationContext context) {
        if (context instanceof SslAuthenticationContext ssl) {
            try {
                Certificate[] chain = ssl.session().getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate cert) {
                    RevocationList list = revoked;
                    if (list != null && list.revoked(cert)) {
                        LOG.warn(
                                "refused a revoked certificate: {} (serial {})",
                                cert.getSubjectX500Principal().getName(),
                                cert.getSerialNumber().toString(16));
                        return KafkaPrincipal.ANONYMOUS;
                    }
                    return Identity.of(cert)
                            .map(id -> new KafkaPrincipal(KafkaPrincipal.USER_TYPE, id.principal()))
                            .orElse(KafkaPrincipal.ANONYMOUS);
                }
            } catch (SSLPeerUnverifiedException e) {
                return KafkaPrincipal.ANONYMOUS;
            }
        }
        return KafkaPrincipal.ANONYMOUS;
    }

    @Override
    public byte[] serialize(KafkaPrincipal principal) {
        return serde.serialize(principal);
    }

    @Override
    public KafkaPrincipal deserialize(byte[] bytes) {
        return serde.deserialize(bytes);
    }
}
