package io.vmflow.testsupport;

import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.security.PemTls;
import java.net.http.HttpClient;

/**
 * Clients of the coordinator's HTTP API as the tests' coordinators serve it: HTTPS with their
 * certificate from the test PKI when the stack runs TLS, plain HTTP under the plaintext switch.
 * HTTP/1.1: the JDK client's h2c upgrade attempt against Vert.x failed now and then.
 */
public final class TestHttps {

    private TestHttps() {}

    /** Whether the tests' coordinators serve HTTPS (they do unless the stack is plaintext). */
    public static boolean enabled() {
        return RealStack.endpoints().tlsDir() != null;
    }

    /** The API's base URL on this port of 127.0.0.1. */
    public static String base(int port) {
        return (enabled() ? "https" : "http") + "://127.0.0.1:" + port;
    }

    /** A client that trusts the test CA and presents no certificate (callers bring a bearer token). */
    public static HttpClient client() {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
        if (enabled()) {
            b.sslContext(PemTls.trusting(TestPki.dir().resolve("ca/ca.crt")));
        }
        return b.build();
    }

    /** A client that presents this principal's certificate (issued when missing). */
    public static HttpClient as(String role, String name) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(PemTls.client(TestPki.principal(role, name)))
                .build();
    }
}
