package io.vmflow.ops.cli;

import io.vmflow.runtime.security.Jwt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * vmflow's own token issuer for the coordinator's HTTP API, for a lab or a fleet without an identity
 * provider: an RSA key pair in {@code $VMFLOW_HOME/auth} (the private half readable by its owner only)
 * and tokens signed with it. The coordinator trusts the public half (VMFLOW_COORDINATOR_JWT_KEYS); an
 * OpenID Connect provider's tokens work the same way with its JWKS instead.
 */
@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        description = "Issue a bearer token for the coordinator's HTTP API and dashboard (--init makes the signing"
                + " key pair first, when missing).")
final class TokenCommand implements Callable<Integer> {

    @Option(
            names = "--init",
            description = "Only create the signing key pair in $VMFLOW_HOME/auth (when missing); issue nothing.")
    boolean init;

    @Option(names = "--subject", description = "Who the token names (recorded in every event it causes).")
    String subject = System.getProperty("user.name");

    @Option(
            names = "--role",
            description = "viewer (read), operator (migrate, cancel own), admin (cancel any); default viewer.")
    String role = "viewer";

    @Option(names = "--ttl-minutes", description = "How long it is valid (default 60).")
    long ttlMinutes = 60;

    @Option(names = "--key", description = "The signing key (default $VMFLOW_HOME/auth/jwt-signing.pem).")
    Path key;

    static Path dir() {
        String home = System.getenv("VMFLOW_HOME");
        return Path.of(home == null ? ".vmflow" : home, "auth");
    }

    /** The file the coordinator's VMFLOW_COORDINATOR_JWT_KEYS names. */
    static Path publicKeys() {
        return dir().resolve("jwt-keys.pem");
    }

    @Override
    public Integer call() throws Exception {
        Path signing = key != null ? key : dir().resolve("jwt-signing.pem");
        if (init && !Files.exists(signing)) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(3072);
            KeyPair pair = g.generateKeyPair();
            Files.createDirectories(signing.getParent());
            Files.deleteIfExists(signing);
            Files.createFile(
                    signing, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(signing, Jwt.pem(pair.getPrivate()));
            Files.writeString(signing.resolveSibling("jwt-keys.pem"), Jwt.pem(pair.getPublic()));
            System.err.println("signing key " + signing + " (owner only) and verification key "
                    + signing.resolveSibling("jwt-keys.pem") + " (for VMFLOW_COORDINATOR_JWT_KEYS) created");
        }
        if (init) {
            return 0;
        }
        if (!List.of("viewer", "operator", "admin").contains(role)) {
            throw new IllegalArgumentException("--role must be viewer, operator or admin");
        }
        if (!Files.exists(signing)) {
            throw new IllegalArgumentException("no signing key at " + signing + ": run `vmflow token --init` once,"
                    + " or give --key (tokens from an identity provider need no key here)");
        }
        System.out.println(Jwt.sign(
                Jwt.readPrivateKey(signing),
                "vmflow",
                "vmflow",
                subject,
                List.of(role),
                Instant.now(),
                Duration.ofMinutes(ttlMinutes)));
        return 0;
    }
}
