package io.vmflow.testsupport.auth;

import io.vmflow.runtime.security.Jwt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The tests' token issuer: one RSA key pair per test JVM, its public half in a file a coordinator is
 * configured with (VMFLOW_COORDINATOR_JWT_KEYS), and tokens for any subject and role signed with the
 * private half, as an identity provider would sign them.
 */
public final class TestTokens {

    public static final String ISSUER = "vmflow-tests";
    private static final KeyPair KEYS = generate();
    private static final Path PUBLIC = write();

    private TestTokens() {}

    /** The coordinator settings that make it trust these tokens. */
    public static Map<String, String> coordinatorEnv() {
        return Map.of("VMFLOW_COORDINATOR_JWT_KEYS", PUBLIC.toString(), "VMFLOW_COORDINATOR_JWT_ISSUER", ISSUER);
    }

    /** A token for {@code subject} with {@code role} (viewer, operator, admin), valid for ten minutes. */
    public static String token(String subject, String role) {
        return Jwt.sign(
                KEYS.getPrivate(), ISSUER, "vmflow", subject, List.of(role), Instant.now(), Duration.ofMinutes(10));
    }

    /** The Authorization header's value for {@link #token}. */
    public static String bearer(String subject, String role) {
        return "Bearer " + token(subject, role);
    }

    /** The private key, for tests that sign unusual claims. */
    public static java.security.PrivateKey signingKey() {
        return KEYS.getPrivate();
    }

    private static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path write() {
        try {
            Path f = Files.createTempFile("vmflow-test-jwt-", ".pem");
            Files.writeString(f, Jwt.pem(KEYS.getPublic()));
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
