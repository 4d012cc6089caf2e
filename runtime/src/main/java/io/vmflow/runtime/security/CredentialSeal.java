package io.vmflow.runtime.security;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a tunnel credential to one relay's certificate, so that the credential can travel on Kafka
 * and only that relay can read it (ECIES: an ephemeral P-256 key, ECDH with the relay's public key,
 * SHA-256 as the key derivation, AES-256-GCM). The session id is authenticated data: a sealed
 * credential copied into another session's record does not open.
 *
 * <p>Layout: {@code 1 | u16 length | ephemeral public key (X.509) | 12-byte IV | ciphertext+tag}.
 */
public final class CredentialSeal {

    private static final byte VERSION = 1;
    private static final byte[] LABEL = "vmflow credential seal v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private CredentialSeal() {}

    /** A fresh single-use credential: 32 random bytes, base64url. */
    public static String newCredential() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The SHA-256 of a credential: what the destination relay holds and compares in constant time. */
    public static byte[] digest(String credential) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] seal(String credential, PublicKey recipient, String sessionId) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(((ECPublicKey) recipient).getParams());
            KeyPair ephemeral = g.generateKeyPair();
            byte[] ephemeralDer = ephemeral.getPublic().getEncoded();
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher c = cipher(Cipher.ENCRYPT_MODE, ephemeral.getPrivate(), recipient, ephemeralDer, iv, sessionId);
            byte[] sealed = c.doFinal(credential.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.allocate(3 + ephemeralDer.length + iv.length + sealed.length)
                    .put(VERSION)
                    .putShort((short) ephemeralDer.length)
                    .put(ephemeralDer)
                    .put(iv)
                    .put(sealed)
                    .array();
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("cannot seal to this key (vmflow relays use EC P-256 keys): " + e, e);
        }
    }

    /** Opens a sealed credential; throws when it was not sealed to this key for this session. */
    public static String open(byte[] sealed, PrivateKey key, String sessionId) throws GeneralSecurityException {
        ByteBuffer b = ByteBuffer.wrap(sealed);
        if (b.remaining() < 3 || b.get() != VERSION) {
            throw new GeneralSecurityException("not a vmflow sealed credential (version 1)");
        }
        int n = Short.toUnsignedInt(b.getShort());
        if (n > b.remaining() - 12 - 16) {
            throw new GeneralSecurityException("truncated sealed credential");
        }
        byte[] ephemeralDer = new byte[n];
        b.get(ephemeralDer);
        byte[] iv = new byte[12];
        b.get(iv);
        byte[] body = new byte[b.remaining()];
        b.get(body);
        PublicKey ephemeral = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(ephemeralDer));
        return new String(
                cipher(Cipher.DECRYPT_MODE, key, ephemeral, ephemeralDer, iv, sessionId)
                        .doFinal(body),
                StandardCharsets.UTF_8);
    }

    private static Cipher cipher(
            int mode, PrivateKey mine, PublicKey theirs, byte[] ephemeralDer, byte[] iv, String sessionId)
            throws GeneralSecurityException {
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(mine);
        ka.doPhase(theirs, true);
        MessageDigest kdf = MessageDigest.getInstance("SHA-256");
        kdf.update(ka.generateSecret());
        kdf.update(ephemeralDer);
        kdf.update(LABEL);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(kdf.digest(), "AES"), new GCMParameterSpec(128, iv));
        c.updateAAD(sessionId.getBytes(StandardCharsets.UTF_8));
        return c;
    }

    /** The public key in a PEM certificate. */
    public static PublicKey publicKey(Path certificatePem) throws IOException, GeneralSecurityException {
        try (var in = Files.newInputStream(certificatePem)) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getPublicKey();
        }
    }

    /** An EC private key from a PEM PKCS#8 file (what ops/pki.sh writes). */
    public static PrivateKey privateKey(Path pkcs8Pem) throws IOException, GeneralSecurityException {
        String pem = Files.readString(pkcs8Pem, StandardCharsets.US_ASCII);
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < 0) {
            throw new GeneralSecurityException(pkcs8Pem + " is not a PEM PKCS#8 private key (BEGIN PRIVATE KEY)");
        }
        String body = pem.substring(begin + 27, end).replaceAll("\\s", "");
        return KeyFactory.getInstance("EC")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    }
}
