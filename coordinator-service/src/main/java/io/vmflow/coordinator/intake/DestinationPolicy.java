package io.vmflow.coordinator.intake;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a request may send a guest, beyond the hosts that run a vmflow agent: the libvirt URIs of
 * hosts outside vmflow an operator allows (seed scenario 6's "libvirt host without vmflow"), and the
 * query parameters a libvirt URI may carry. Everything else is refused: a destination is a registered
 * host or it is on this list.
 *
 * <p>libvirt's URI parameters include {@code command=} (the program libvirt runs to reach the peer),
 * {@code socket=}, {@code netcat=}, {@code keyfile=}, {@code pkipath=}, {@code known_hosts=} and
 * {@code no_verify=} (skip the peer's certificate check): each one would let whoever writes a request
 * choose what the source host runs or whom it trusts. Only {@code mode} is allowed unless configured.
 *
 * @param foreignDestinations glob patterns ({@code *} is any run of characters but '/') of libvirt URIs
 *     a peer-to-peer migration may name as its destination without a vmflow agent there
 * @param uriParameters the names of the query parameters a libvirt URI may carry
 * @param globs the patterns compiled once (derived from foreignDestinations)
 */
public record DestinationPolicy(List<String> foreignDestinations, Set<String> uriParameters, List<Pattern> globs) {

    public static final String FOREIGN_KEY = "VMFLOW_COORDINATOR_FOREIGN_DESTINATIONS";
    public static final String PARAMETERS_KEY = "VMFLOW_COORDINATOR_URI_PARAMETERS";

    /** Registered hosts only, and the {@code mode} parameter. */
    public static final DestinationPolicy REGISTERED_ONLY = new DestinationPolicy(List.of(), Set.of("mode"));

    public DestinationPolicy(List<String> foreignDestinations, Set<String> uriParameters) {
        this(
                foreignDestinations,
                uriParameters,
                foreignDestinations.stream().map(DestinationPolicy::glob).toList());
    }

    public DestinationPolicy {
        foreignDestinations = List.copyOf(foreignDestinations);
        globs = List.copyOf(globs);
        uriParameters = Set.copyOf(uriParameters);
        for (String p : foreignDestinations) {
            if (!Validator.LIBVIRT_URI.matcher(p.replace("*", "x")).matches()) {
                throw new IllegalArgumentException(FOREIGN_KEY + ": '" + p
                        + "' is not a libvirt QEMU URI pattern such as qemu+tls://*.legacy.example/system");
            }
        }
        for (String n : uriParameters) {
            if (!n.matches("[a-z_]{1,32}")) {
                throw new IllegalArgumentException(
                        PARAMETERS_KEY + ": '" + n + "' is not a libvirt URI parameter name");
            }
        }
    }

    /** From the comma-separated {@value #FOREIGN_KEY} and {@value #PARAMETERS_KEY} (default {@code mode}). */
    public static DestinationPolicy from(Map<String, String> env) {
        return new DestinationPolicy(
                split(env.getOrDefault(FOREIGN_KEY, "")), Set.copyOf(split(env.getOrDefault(PARAMETERS_KEY, "mode"))));
    }

    /** Whether a libvirt URI (without its query) is one of the allowed foreign destinations. */
    public boolean allowsForeign(String uriWithoutQuery) {
        return foreignDestinations.stream()
                .anyMatch(p -> glob(p).matcher(uriWithoutQuery).matches());
    }

    /** The first query parameter of a libvirt URI that is not allowed, or null. */
    public String forbiddenParameter(String uri) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : uri.substring(q + 1).split("&", -1)) {
            String name = pair.split("=", 2)[0].toLowerCase(Locale.ROOT);
            if (!uriParameters.contains(name)) {
                return name.isEmpty() ? "(empty)" : name;
            }
        }
        return null;
    }

    public String describe() {
        return "foreign destinations " + (foreignDestinations.isEmpty() ? "none" : foreignDestinations)
                + ", URI parameters " + uriParameters;
    }

    static String withoutQuery(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    private static Pattern glob(String p) {
        StringBuilder b = new StringBuilder();
        for (String part : p.split("\\*", -1)) {
            if (!b.isEmpty()) {
                b.append("[^/]*");
            }
            b.append(Pattern.quote(part));
        }
        return Pattern.compile(b.toString());
    }

    private static List<String> split(String s) {
        return s.isBlank()
                ? List.of()
                : List.of(s.split(",")).stream()
                        .map(String::trim)
                        .filter(x -> !x.isEmpty())
                        .toList();
    }
}
