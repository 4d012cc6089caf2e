package io.vmflow.coordinator.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vmflow.runtime.security.Identity;
import io.vmflow.runtime.security.Jwt;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who may do what on the HTTP API: a bearer token (a JWT an OpenID Connect provider or {@code vmflow
 * token} signed, verified against the configured keys) names the caller and its roles; without one, a
 * client certificate of the vmflow CA does (a requester's is an operator, an admin's an admin; the
 * caller is its principal, e.g. {@code requester.alice}). A token, when sent, decides. A viewer reads
 * migrations, events and the dashboard; an operator also requests migrations and cancels its own; an
 * admin cancels anyone's. Without a valid token: 401; with a token lacking the role: 403; both with a
 * JSON body that says what is missing, and never with the token in it.
 *
 * <p>With authentication off (a development switch, logged loudly at start), every caller is an admin
 * named {@code unauthenticated@<address>}.
 */
public final class Access {

    /** The roles, each including those before it. */
    public enum Role {
        VIEWER,
        OPERATOR,
        ADMIN;

        boolean includes(Role r) {
            return ordinal() >= r.ordinal();
        }

        static Optional<Role> named(String s) {
            try {
                return Optional.of(valueOf(s.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
    }

    /** The authenticated caller of a request. */
    public record Caller(String principal, Role role) {}

    private static final String KEY = "vmflow.caller";

    private final Jwt.Verifier verifier;

    /** @param verifier the token verifier, or null when authentication is off */
    public Access(Jwt.Verifier verifier) {
        this.verifier = verifier;
    }

    public boolean enforced() {
        return verifier != null;
    }

    /** A route handler that lets the request through only for a caller with {@code needed}. */
    public Handler<RoutingContext> require(Role needed) {
        return c -> {
            Caller caller;
            if (verifier == null) {
                caller = new Caller(
                        "unauthenticated@" + c.request().remoteAddress().hostAddress(), Role.ADMIN);
            } else {
                String h = c.request().getHeader("Authorization");
                if (h == null) {
                    Optional<Identity> certified = certificate(c);
                    if (certified.isPresent()) {
                        Identity id = certified.get();
                        Role role = CERTIFICATE_ROLES.get(id.role());
                        if (role == null || !role.includes(needed)) {
                            HttpApi.error(
                                    c,
                                    403,
                                    "FORBIDDEN",
                                    "this needs the role " + needed.name().toLowerCase(Locale.ROOT) + "; a "
                                            + id.role() + " certificate (" + id.principal() + ") has "
                                            + (role == null
                                                    ? "no role on this API (requester and admin certificates do)"
                                                    : "the role " + role.name().toLowerCase(Locale.ROOT)));
                            return;
                        }
                        c.put(KEY, new Caller(id.principal(), role));
                        c.next();
                        return;
                    }
                }
                if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
                    unauthorized(
                            c,
                            "this API needs a bearer token (Authorization: Bearer <JWT>; `vmflow token`"
                                    + " issues one, or use your identity provider's) or a client certificate of the"
                                    + " vmflow CA (a requester's or an admin's, ops/pki.sh issue)");
                    return;
                }
                Jwt.Claims claims;
                try {
                    claims = verifier.verify(h.substring(7).trim(), Instant.now());
                } catch (Jwt.Invalid e) {
                    unauthorized(c, "the bearer token is not accepted: " + e.getMessage());
                    return;
                }
                List<Role> roles = claims.roles().stream()
                        .map(Role::named)
                        .flatMap(Optional::stream)
                        .toList();
                Role best = roles.stream().max(Role::compareTo).orElse(null);
                if (best == null || !best.includes(needed)) {
                    HttpApi.error(
                            c,
                            403,
                            "FORBIDDEN",
                            "this needs the role " + needed.name().toLowerCase(Locale.ROOT) + "; " + claims.subject()
                                    + "'s token has " + (roles.isEmpty() ? "no vmflow role" : roles));
                    return;
                }
                caller = new Caller(claims.subject(), best);
            }
            c.put(KEY, caller);
            c.next();
        };
    }

    /** What a client certificate's role may do here: a requester operates, an admin administers. */
    private static final java.util.Map<String, Role> CERTIFICATE_ROLES =
            java.util.Map.of(Identity.REQUESTER, Role.OPERATOR, Identity.ADMIN, Role.ADMIN);

    /**
     * The vmflow principal of the client certificate the TLS handshake verified (against the CA and its
     * revocation list), if the caller presented one.
     */
    private static Optional<Identity> certificate(RoutingContext c) {
        SSLSession tls = c.request().sslSession();
        if (tls == null) {
            return Optional.empty();
        }
        try {
            java.security.cert.Certificate[] chain = tls.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate cert ? Identity.of(cert) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** The caller a {@link #require} handler let through. */
    public static Caller caller(RoutingContext c) {
        Caller caller = c.get(KEY);
        if (caller == null) {
            throw new IllegalStateException(
                    "route without an access check: " + c.request().path());
        }
        return caller;
    }

    private static void unauthorized(RoutingContext c, String message) {
        c.response().putHeader("WWW-Authenticate", "Bearer realm=\"vmflow\"");
        HttpApi.error(c, 401, "UNAUTHENTICATED", message);
    }
}
