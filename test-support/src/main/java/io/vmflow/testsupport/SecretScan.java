package io.vmflow.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What ops/secret-scan.sh looks for in logs and stored records, for text a test holds (a service's
 * /metrics, an HTTP answer): private keys (PEM headers, and the material of every key in the test
 * PKI) and bearer tokens.
 */
public final class SecretScan {

    private static final Pattern PEM = Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----");
    private static final Pattern JWT =
            Pattern.compile("eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}");

    private SecretScan() {}

    /** Fails when the text holds a private key, a line of one of the test PKI's keys, or a JWT. */
    public static void assertClean(String what, String text) throws IOException {
        assertThat(PEM.matcher(text).find())
                .as("%s holds a PEM private key", what)
                .isFalse();
        assertThat(JWT.matcher(text).find()).as("%s holds a bearer token", what).isFalse();
        for (String line : keyLines()) {
            assertThat(text.contains(line))
                    .as("%s holds key material of the test PKI", what)
                    .isFalse();
        }
    }

    private static List<String> keyLines() throws IOException {
        List<String> lines = new ArrayList<>();
        Path pki = TestPki.dir();
        if (!Files.isDirectory(pki)) {
            return lines;
        }
        try (Stream<Path> files = Files.walk(pki)) {
            for (Path f : files.filter(p -> p.getFileName().toString().equals("key.pem"))
                    .toList()) {
                Files.readAllLines(f).stream()
                        .filter(l -> !l.startsWith("-----") && l.length() >= 40)
                        .forEach(lines::add);
            }
        }
        return lines;
    }
}
