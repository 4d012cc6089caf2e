package io.vmflow.runtime.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON Web Tokens signed with RS256 or ES256 (RFC 7519/7515): what an OpenID Connect provider issues
 * and what vmflow's own {@code vmflow token} mints. Verification pins the algorithm to the key's type
 * (no {@code none}, no HMAC with a public key as its secret), needs {@code exp} and {@code sub}, and
 * checks {@code nbf}, the issuer and the audience.
 */
public final class Jwt {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder UNB64 = Base64.getUrlDecoder();
    private static final Pattern PEM =
            Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");
    /** Clocks of the issuer and of this host may differ by this much. */
    public static final Duration LEEWAY = Duration.ofSeconds(30);

    private Jwt() {}

    /** A token's verified claims. */
    public record Claims(String subject, List<String> roles, Instant expires, JsonNode all) {}

    /** Why a token was not accepted (the message is safe to show: it never repeats the token). */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    /** The verification side: trusted keys, the expected issuer (or null) and audience. */
    public record Verifier(List<PublicKey> keys, String issuer, String audience, String rolesClaim) {

        public Verifier {
            keys = List.copyOf(keys);
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("no verification key");
            }
        }

        public Claims verify(String token, Instant now) throws Invalid {
            String[] parts = token.split("\\.", -1);
            if (parts.length != 3 || token.length() > 16_384) {
                throw new Invalid("not a signed JWT (header.payload.signature)");
            }
            JsonNode header = json(parts[0], "header");
            JsonNode claims = json(parts[1], "payload");
            String alg = header.path("alg").asText("");
            if (!alg.equals("RS256") && !alg.equals("ES256")) {
                throw new Invalid("algorithm '" + printable(alg) + "' is not accepted (RS256 or ES256)");
            }
            byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
            byte[] signature;
            try {
                signature = UNB64.decode(parts[2]);
            } catch (IllegalArgumentException e) {
                throw new Invalid("the signature is not base64url");
            }
            boolean ok = false;
            for (PublicKey k : keys) {
                if (alg.equals("RS256") ? k instanceof RSAPublicKey : k instanceof ECPublicKey) {
                    ok |= verifies(alg, k, signed, signature);
                }
            }
            if (!ok) {
                throw new Invalid("the signature does not verify with any trusted key");
            }
            if (!claims.path("exp").isNumber()) {
                throw new Invalid("the token has no expiry (exp)");
            }
            Instant exp = Instant.ofEpochSecond(claims.get("exp").asLong());
            if (now.isAfter(exp.plus(LEEWAY))) {
                throw new Invalid("the token expired at " + exp);
            }
            if (claims.path("nbf").isNumber()
                    && now.plus(LEEWAY)
                            .isBefore(Instant.ofEpochSecond(claims.get("nbf").asLong()))) {
                throw new Invalid("the token is not valid yet (nbf)");
            }
            if (issuer != null && !issuer.equals(claims.path("iss").asText(null))) {
                throw new Invalid("the token's issuer is not " + issuer);
            }
            JsonNode aud = claims.path("aud");
            boolean audienceOk = aud.isTextual()
                    ? aud.asText().equals(audience)
                    : aud.isArray() && streamText(aud).contains(audience);
            if (!audienceOk) {
                throw new Invalid("the token is not for audience '" + audience + "'");
            }
            String sub = claims.path("sub").asText("");
            if (sub.isBlank() || sub.length() > 200 || sub.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new Invalid("the token names no usable subject (sub)");
            }
            JsonNode roles = claims.at("/" + rolesClaim.replace(".", "/"));
            return new Claims(sub, roles.isArray() ? streamText(roles) : List.of(), exp, claims);
        }
    }

    /** A token for {@code subject} with {@code roles}, valid for {@code ttl} from {@code now}. */
    public static String sign(
            PrivateKey key,
            String issuer,
            String audience,
            String subject,
            List<String> roles,
            Instant now,
            Duration ttl) {
        ObjectNode claims = JSON.createObjectNode()
                .put("iss", issuer)
                .put("aud", audience)
                .put("sub", subject)
                .put("iat", now.getEpochSecond())
                .put("exp", now.plus(ttl).getEpochSecond());
        roles.forEach(claims.putArray("roles")::add);
        return sign(key, claims);
    }

    /** Signs any claims (tests use it to build bad ones). */
    public static String sign(PrivateKey key, JsonNode claims) {
        String alg = key.getAlgorithm().equals("EC") ? "ES256" : "RS256";
        try {
            String head = B64.encodeToString(JSON.writeValueAsBytes(
                    JSON.createObjectNode().put("alg", alg).put("typ", "JWT")));
            String body = B64.encodeToString(JSON.writeValueAsBytes(claims));
            Signature s = Signature.getInstance(javaName(alg));
            s.initSign(key);
            s.update((head + "." + body).getBytes(StandardCharsets.US_ASCII));
            return head + "." + body + "." + B64.encodeToString(s.sign());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
        }
    }

    /**
     * Public keys from a file: PEM ({@code -----BEGIN PUBLIC KEY-----} blocks, RSA or EC P-256) or a JWKS
     * document ({@code {"keys": [...]}}, as an OpenID Connect provider publishes at its jwks_uri).
     */
    public static List<PublicKey> readKeys(Path file) throws java.io.IOException, GeneralSecurityException {
        String text = Files.readString(file);
        List<PublicKey> keys = new ArrayList<>();
        if (text.trim().startsWith("{")) {
            for (JsonNode k : JSON.readTree(text).path("keys")) {
                jwk(k).ifPresent(keys::add);
            }
        } else {
            Matcher m = PEM.matcher(text);
            while (m.find()) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(1));
                X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
                PublicKey k;
                try {
                    k = KeyFactory.getInstance("RSA").generatePublic(spec);
                } catch (GeneralSecurityException notRsa) {
                    k = KeyFactory.getInstance("EC").generatePublic(spec);
                }
                keys.add(k);
            }
        }
        if (keys.isEmpty()) {
            throw new GeneralSecurityException(file + " holds no RSA or EC P-256 public key (PEM or JWKS)");
        }
        return keys;
    }

    /** A PKCS#8 PEM private key (RSA or EC), as {@code openssl genpkey} writes it. */
    public static PrivateKey readPrivateKey(Path file) throws java.io.IOException, GeneralSecurityException {
        String pem = Files.readString(file)
                .replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem));
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (GeneralSecurityException notRsa) {
            return KeyFactory.getInstance("EC").generatePrivate(spec);
        }
    }

    /** A private key as PKCS#8 PEM, as {@link #readPrivateKey} reads it. */
    public static String pem(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    /** A public key as PEM. */
    public static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static Optional<PublicKey> jwk(JsonNode k) throws GeneralSecurityException {
        if (!k.path("use").asText("sig").equals("sig")) {
            return Optional.empty();
        }
        switch (k.path("kty").asText("")) {
            case "RSA" -> {
                return Optional.of(KeyFactory.getInstance("RSA")
                        .generatePublic(new RSAPublicKeySpec(unsigned(k, "n"), unsigned(k, "e"))));
            }
            case "EC" -> {
                if (!k.path("crv").asText("").equals("P-256")) {
                    return Optional.empty();
                }
                AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
                p.init(new ECGenParameterSpec("secp256r1"));
                ECParameterSpec curve = p.getParameterSpec(ECParameterSpec.class);
                return Optional.of(KeyFactory.getInstance("EC")
                        .generatePublic(new ECPublicKeySpec(new ECPoint(unsigned(k, "x"), unsigned(k, "y")), curve)));
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    private static BigInteger unsigned(JsonNode k, String field) {
        return new BigInteger(1, UNB64.decode(k.path(field).asText("")));
    }

    private static boolean verifies(String alg, PublicKey k, byte[] signed, byte[] signature) {
        try {
            Signature s = Signature.getInstance(javaName(alg));
            s.initVerify(k);
            s.update(signed);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** JWS signatures of ES256 are r||s (IEEE P1363), not DER. */
    private static String javaName(String alg) {
        return alg.equals("ES256") ? "SHA256withECDSAinP1363Format" : "SHA256withRSA";
    }

    private static JsonNode json(String part, String what) throws Invalid {
        try {
            JsonNode n = JSON.readTree(UNB64.decode(part));
            if (n == null || !n.isObject()) {
                throw new Invalid("the token's " + what + " is not a JSON object");
            }
            return n;
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw new Invalid("the token's " + what + " is not base64url JSON");
        }
    }

    private static List<String> streamText(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }

    private static String printable(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "..." : s.replaceAll("\\p{Cntrl}", "?");
    }
}
