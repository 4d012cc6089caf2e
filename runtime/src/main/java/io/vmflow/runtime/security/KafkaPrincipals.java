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
 * everything. Loaded by the broker from this jar alone: it uses nothing but the JDK and kafka-clients.
 */
public final class KafkaPrincipals implements KafkaPrincipalBuilder {

    private final DefaultKafkaPrincipalBuilder serde = new DefaultKafkaPrincipalBuilder(null, null);

    @Override
    public KafkaPrincipal build(AuthenticationContext context) {
        if (context instanceof SslAuthenticationContext ssl) {
            try {
                Certificate[] chain = ssl.session().getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate cert) {
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
