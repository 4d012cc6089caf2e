package io.vmflow.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

class CredentialSealTest {

    static KeyPair p256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void opensOnlyWithTheRecipientsKeyAndForItsSession() throws Exception {
        KeyPair relay = p256();
        KeyPair other = p256();
        String credential = CredentialSeal.newCredential();
        byte[] sealed = CredentialSeal.seal(credential, relay.getPublic(), "s-1");

        assertThat(CredentialSeal.open(sealed, relay.getPrivate(), "s-1")).isEqualTo(credential);
        assertThat(new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain(credential);
        assertThatThrownBy(() -> CredentialSeal.open(sealed, other.getPrivate(), "s-1"))
                .isInstanceOf(GeneralSecurityException.class);
        assertThatThrownBy(() -> CredentialSeal.open(sealed, relay.getPrivate(), "s-2"))
                .isInstanceOf(GeneralSecurityException.class);
        byte[] tampered = sealed.clone();
        tampered[tampered.length - 1] ^= 1;
        assertThatThrownBy(() -> CredentialSeal.open(tampered, relay.getPrivate(), "s-1"))
                .isInstanceOf(GeneralSecurityException.class);
        assertThatThrownBy(() -> CredentialSeal.open(new byte[] {9, 9, 9}, relay.getPrivate(), "s-1"))
                .hasMessageContaining("not a vmflow sealed credential");
    }

    @Test
    void everyCredentialIsFresh() {
        assertThat(CredentialSeal.newCredential())
                .isNotEqualTo(CredentialSeal.newCredential())
                .hasSize(43);
    }
}
