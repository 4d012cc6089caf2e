package io.vmflow.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtTest {

    static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    static final KeyPair RSA = pair("RSA");
    static final KeyPair EC = pair("EC");
    final Jwt.Verifier verifier =
            new Jwt.Verifier(List.of(RSA.getPublic(), EC.getPublic()), "vmflow-test", "vmflow", "roles");

    static KeyPair pair(String alg) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
            if (alg.equals("EC")) {
                g.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                g.initialize(2048);
            }
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String token(KeyPair k, Duration ttl, String... roles) {
        return Jwt.sign(k.getPrivate(), "vmflow-test", "vmflow", "alice", List.of(roles), NOW, ttl);
    }

    @Test
    void rs256AndEs256TokensVerifyWithTheirRoles() throws Exception {
        for (KeyPair k : List.of(RSA, EC)) {
            Jwt.Claims c = verifier.verify(token(k, Duration.ofMinutes(5), "operator"), NOW.plusSeconds(60));
            assertThat(c.subject()).isEqualTo("alice");
            assertThat(c.roles()).containsExactly("operator");
        }
    }

    @Test
    void expiredForeignAndTamperedTokensAreRefusedWithoutRepeatingThem() {
        String expired = token(RSA, Duration.ofMinutes(1));
        assertThatThrownBy(() -> verifier.verify(expired, NOW.plusSeconds(600)))
                .hasMessageContaining("expired")
                .hasMessageNotContaining(expired);
        String foreign = token(pair("RSA"), Duration.ofMinutes(5));
        assertThatThrownBy(() -> verifier.verify(foreign, NOW)).hasMessageContaining("does not verify");
        String[] p = token(RSA, Duration.ofMinutes(5), "viewer").split("\\.");
        String promoted = p[0] + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8)
                                .replace("viewer", "admin")
                                .getBytes(StandardCharsets.UTF_8))
                + "." + p[2];
        assertThatThrownBy(() -> verifier.verify(promoted, NOW)).hasMessageContaining("does not verify");
    }

    @Test
    void algorithmsOtherThanTheKeysAreRefused() {
        String[] p = token(RSA, Duration.ofMinutes(5)).split("\\.");
        for (String alg : List.of("none", "HS256", "RS512")) {
            String head = Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}").getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> verifier.verify(head + "." + p[1] + "." + p[2], NOW))
                    .as(alg)
                    .hasMessageContaining("not accepted");
            assertThatThrownBy(() -> verifier.verify(head + "." + p[1] + ".", NOW))
                    .as(alg + ", unsigned");
        }
        assertThatThrownBy(() -> verifier.verify("garbage", NOW)).hasMessageContaining("not a signed JWT");
    }

    @Test
    void issuerAudienceExpiryAndSubjectAreRequired() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode good = json.createObjectNode()
                .put("iss", "vmflow-test")
                .put("aud", "vmflow")
                .put("sub", "alice")
                .put("exp", NOW.plusSeconds(300).getEpochSecond());
        assertThat(catchMessage(good.deepCopy().put("iss", "evil"))).contains("issuer");
        assertThat(catchMessage(good.deepCopy().put("aud", "other-app"))).contains("audience");
        assertThat(catchMessage(good.deepCopy().without("exp"))).contains("no expiry");
        assertThat(catchMessage(good.deepCopy().without("sub"))).contains("subject");
        assertThat(catchMessage(good.deepCopy().put("nbf", NOW.plusSeconds(3600).getEpochSecond())))
                .contains("not valid yet");
        assertThat(catchMessage(good)).isEqualTo("ok");
    }

    String catchMessage(ObjectNode claims) {
        try {
            verifier.verify(Jwt.sign(EC.getPrivate(), claims), NOW);
            return "ok";
        } catch (Jwt.Invalid e) {
            return e.getMessage();
        }
    }

    @Test
    void keysComeFromPemOrFromAnOpenIdProvidersJwks(@TempDir Path dir) throws Exception {
        Path pem = dir.resolve("keys.pem");
        Files.writeString(pem, Jwt.pem(RSA.getPublic()) + Jwt.pem(EC.getPublic()));
        assertThat(Jwt.readKeys(pem)).containsExactly(RSA.getPublic(), EC.getPublic());

        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        RSAPublicKey r = (RSAPublicKey) RSA.getPublic();
        ECPublicKey e = (ECPublicKey) EC.getPublic();
        String jwks = "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"r1\",\"n\":\""
                + b64.encodeToString(r.getModulus().toByteArray()) + "\",\"e\":\""
                + b64.encodeToString(r.getPublicExponent().toByteArray()) + "\"},"
                + "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
                + b64.encodeToString(fixed(e.getW().getAffineX().toByteArray())) + "\",\"y\":\""
                + b64.encodeToString(fixed(e.getW().getAffineY().toByteArray())) + "\"},"
                + "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, jwks);
        assertThat(Jwt.readKeys(file)).containsExactly(RSA.getPublic(), EC.getPublic());

        Path key = dir.resolve("signing.pem");
        Files.writeString(key, Jwt.pem(RSA.getPrivate()));
        assertThat(Jwt.readPrivateKey(key)).isEqualTo(RSA.getPrivate());
        Files.writeString(dir.resolve("empty.pem"), "nothing here");
        assertThatThrownBy(() -> Jwt.readKeys(dir.resolve("empty.pem"))).hasMessageContaining("no RSA or EC");
    }

    /** A coordinate as JWK has it: 32 bytes, big-endian, unsigned. */
    static byte[] fixed(byte[] b) {
        byte[] out = new byte[32];
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return out;
    }
}
