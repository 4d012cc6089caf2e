package io.vmflow.coordinator.intake;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.GuestInfo;
import io.vmflow.avro.GuestState;
import io.vmflow.avro.HostState;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.avro.Transport;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.schemas.reasons.ReasonCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Checks a migration request against the seed's rules and the hosts' published inventory. Each
 * refusal has its own code and a message that says what to do.
 */
public final class Validator {

    /** Request ids become migration ids and Kafka keys: a safe, bounded alphabet. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    /** libvirt connection URIs of the QEMU driver (seed URIs 1 and 2). */
    static final Pattern LIBVIRT_URI = Pattern.compile(
            "qemu(\\+(tcp|tls|ssh|unix|libssh|libssh2))?://([A-Za-z0-9.-]+|\\[[0-9a-fA-F:.]+\\])?(:[0-9]{1,5})?"
                    + "/(system|session)(\\?[A-Za-z0-9=&._/-]*)?");
    /** Hypervisor migration URIs (seed URI 3) vmflow passes on: tcp only. */
    static final Pattern MIGRATION_URI = Pattern.compile(
            "tcp:(//)?([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[[0-9a-fA-F:.]+\\])(:[0-9]{1,5})?");

    private final Inventory inventory;
    private final DestinationPolicy policy;
    private final Function<String, Optional<String>> activeMigrationOfGuest;

    /**
     * @param policy where a guest may go besides the registered hosts
     * @param activeMigrationOfGuest the id of a non-final migration of a guest (by name), if any
     */
    public Validator(
            Inventory inventory, DestinationPolicy policy, Function<String, Optional<String>> activeMigrationOfGuest) {
        this.inventory = inventory;
        this.policy = policy;
        this.activeMigrationOfGuest = activeMigrationOfGuest;
    }

    /** Why the request cannot be accepted, or empty when it can. */
    public Optional<Reason> check(MigrationRequest r) {
        MigrationSpec s = r.getSpec();
        if (!ID.matcher(r.getRequestId()).matches()) {
            return no(
                    ReasonCode.INVALID_REQUEST,
                    "requestId '" + printable(r.getRequestId())
                            + "' must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
        if (s.getGuest() == null || s.getGuest().isBlank() || s.getGuest().length() > 200) {
            return no(ReasonCode.INVALID_REQUEST, "spec.guest must name the guest (1-200 characters)");
        }
        if (r.getPrincipal() == null || r.getPrincipal().isBlank()) {
            return no(ReasonCode.INVALID_REQUEST, "principal is required: who asks for this migration");
        }
        Optional<Reason> bounds = checkBounds(r);
        if (bounds.isPresent()) {
            return bounds;
        }
        Optional<Reason> uris = checkUris(s);
        if (uris.isPresent()) {
            return uris;
        }
        Optional<Reason> flags = checkFlags(s);
        if (flags.isPresent()) {
            return flags;
        }
        Optional<HostState> source = inventory.host(s.getSourceHost());
        if (source.isEmpty()) {
            return no(
                    ReasonCode.UNKNOWN_SOURCE_HOST,
                    "source host '" + printable(s.getSourceHost()) + "' has no running agent; known hosts: "
                            + knownHosts());
        }
        boolean unmanaged = s.getControlFlow() == ControlFlow.UNMANAGED_DIRECT;
        if (!unmanaged && s.getDestinationHost() != null) {
            if (s.getDestinationHost().equals(s.getSourceHost())) {
                return no(ReasonCode.SAME_HOST, "source and destination are both " + s.getSourceHost());
            }
            boolean foreign = inventory.host(s.getDestinationHost()).isEmpty();
            if (foreign && !(s.getControlFlow() == ControlFlow.MANAGED_PEER_TO_PEER && s.getDestinationUri() != null)) {
                return no(
                        ReasonCode.UNKNOWN_DESTINATION_HOST,
                        "destination host '"
                                + printable(s.getDestinationHost()) + "' has no running agent; known hosts: "
                                + knownHosts()
                                + " (a libvirt host without vmflow can be the destination of a peer-to-peer migration:"
                                + " give its destinationUri)");
            }
        }
        if (!unmanaged
                && s.getDestinationHost() == null
                && s.getDestinationUri() != null
                && s.getControlFlow() == ControlFlow.MANAGED_DIRECT) {
            return no(
                    ReasonCode.UNKNOWN_DESTINATION_HOST,
                    "managed direct migration needs a vmflow destination host"
                            + " (both agents take part); for a libvirt host without vmflow use MANAGED_PEER_TO_PEER");
        }
        Optional<Reason> where = checkDestinations(s, source.get());
        if (where.isPresent()) {
            return where;
        }
        Optional<GuestInfo> guest = inventory.guest(s.getSourceHost(), s.getGuest());
        if (guest.isEmpty()) {
            Optional<String> elsewhere = inventory.whereRuns(s.getGuest(), s.getSourceHost());
            return elsewhere.isPresent()
                    ? no(
                            ReasonCode.GUEST_NOT_ON_SOURCE,
                            "guest '" + printable(s.getGuest()) + "' is not on " + s.getSourceHost() + ": it runs on "
                                    + elsewhere.get())
                    : no(ReasonCode.UNKNOWN_GUEST, "no host knows a guest '" + printable(s.getGuest()) + "'");
        }
        GuestState state = guest.get().getState();
        if (s.getLive() && state != GuestState.RUNNING && state != GuestState.PAUSED) {
            return no(
                    ReasonCode.GUEST_NOT_RUNNING,
                    "guest '" + s.getGuest() + "' is " + state + " on " + s.getSourceHost()
                            + ": a live migration needs it running (or ask for live=false)");
        }
        if (!s.getLive() && !guest.get().getPersistent()) {
            return no(
                    ReasonCode.CONFLICTING_FLAGS,
                    "guest '" + s.getGuest() + "' is transient: it has no config to migrate offline");
        }
        if (s.getTransport() == Transport.TUNNELLED && !unmanaged) {
            Optional<HostState> dest =
                    s.getDestinationHost() == null ? Optional.empty() : inventory.host(s.getDestinationHost());
            // a libvirt host outside vmflow (given by its URI): libvirt's own tunnel, peer-to-peer (scenario 6)
            boolean foreignDest = dest.isEmpty() && s.getDestinationUri() != null;
            if (!foreignDest
                    && (source.get().getRelayEndpoint() == null
                            || dest.map(d -> d.getRelayEndpoint() == null).orElse(true))) {
                return no(
                        ReasonCode.TUNNELLED_WITHOUT_RELAY,
                        "a tunnelled migration needs a vmflow relay on both"
                                + " hosts; "
                                + (source.get().getRelayEndpoint() == null ? s.getSourceHost() : s.getDestinationHost())
                                + " publishes none (start its transport relay, or ask for NATIVE)");
            }
        }
        Optional<Reason> port = checkPortRange(s);
        if (port.isPresent()) {
            return port;
        }
        Optional<String> active = activeMigrationOfGuest.apply(s.getGuest());
        if (active.isPresent()) {
            return no(
                    ReasonCode.ALREADY_MIGRATING,
                    "guest '" + s.getGuest() + "' is already being migrated by " + active.get()
                            + "; cancel it or wait for it to end");
        }
        return Optional.empty();
    }

    /**
     * Every place a request names is a registered host's, or one the operator allowed: a sourceUri is the
     * source's registered libvirt URI; a destinationUri is the named (or some) registered host's, or a
     * foreign destination on the policy's list; a migrationUri (the address the source's QEMU streams the
     * guest's memory to) is an address of the destination: one of its migration addresses or its libvirt
     * URI's host, for unmanaged migrations a registered host other than the source. libvirt URIs carry only
     * the query parameters the policy allows.
     */
    private Optional<Reason> checkDestinations(MigrationSpec s, HostState source) {
        for (String[] u : new String[][] {{"sourceUri", s.getSourceUri()}, {"destinationUri", s.getDestinationUri()}}) {
            String bad = u[1] == null ? null : policy.forbiddenParameter(u[1]);
            if (bad != null) {
                return no(
                        ReasonCode.URI_PARAMETER_NOT_ALLOWED,
                        u[0] + " carries the libvirt URI parameter '" + printable(bad)
                                + "', which this coordinator does not allow (allowed: " + policy.uriParameters()
                                + "; an operator may add names to " + DestinationPolicy.PARAMETERS_KEY + ")");
            }
        }
        if (s.getSourceUri() != null
                && !DestinationPolicy.withoutQuery(s.getSourceUri()).equals(base(source.getLibvirtUri()))) {
            return no(
                    ReasonCode.SOURCE_URI_MISMATCH,
                    "sourceUri '" + printable(s.getSourceUri()) + "' is not " + source.getHostId()
                            + "'s registered libvirt URI " + source.getLibvirtUri() + " (leave it out: vmflow uses"
                            + " the registered one)");
        }
        boolean unmanaged = s.getControlFlow() == ControlFlow.UNMANAGED_DIRECT;
        Optional<HostState> named =
                s.getDestinationHost() == null ? Optional.empty() : inventory.host(s.getDestinationHost());
        Optional<HostState> dest = named;
        if (!unmanaged && s.getDestinationUri() != null) {
            String uri = DestinationPolicy.withoutQuery(s.getDestinationUri());
            Optional<HostState> byUri = inventory.hosts().stream()
                    .filter(h -> uri.equals(base(h.getLibvirtUri())))
                    .findFirst();
            if (named.isPresent() && byUri.map(h -> h != named.get()).orElse(true)) {
                return no(
                        ReasonCode.DESTINATION_NOT_ALLOWED,
                        "destinationUri '" + printable(uri) + "' is not "
                                + named.get().getHostId()
                                + "'s registered libvirt URI " + named.get().getLibvirtUri()
                                + " (leave it out: vmflow uses the registered one)");
            }
            if (byUri.isEmpty() && !policy.allowsForeign(uri)) {
                return no(
                        ReasonCode.DESTINATION_NOT_ALLOWED,
                        "destinationUri '" + printable(uri) + "' is neither a registered host's libvirt URI nor one"
                                + " of the foreign destinations this coordinator allows (an operator lists them in "
                                + DestinationPolicy.FOREIGN_KEY + ")");
            }
            dest = dest.or(() -> byUri);
        }
        if (s.getMigrationUri() == null) {
            return Optional.empty();
        }
        String address = migrationAddress(s.getMigrationUri());
        if (unmanaged) {
            dest = inventory.hosts().stream()
                    .filter(h -> h != source && addressesOf(h).contains(address))
                    .findFirst();
            if (dest.isEmpty()) {
                return no(
                        ReasonCode.MIGRATION_URI_NOT_ALLOWED,
                        "migrationUri '" + printable(s.getMigrationUri()) + "' names no registered host's migration"
                                + " address: an unmanaged migration hands the guest's memory to whatever listens"
                                + " there, so it may go only to a vmflow host other than the source (its"
                                + " migrationAddresses are in `vmflow hosts`)");
            }
            return Optional.empty();
        }
        if (dest.isPresent() && !addressesOf(dest.get()).contains(address)) {
            return no(
                    ReasonCode.MIGRATION_URI_NOT_ALLOWED,
                    "migrationUri '" + printable(s.getMigrationUri()) + "' is not an address of "
                            + dest.get().getHostId() + " (its migration addresses and libvirt host: "
                            + addressesOf(dest.get()) + ")");
        }
        if (dest.isEmpty() && s.getDestinationUri() != null && !address.equals(hostOf(s.getDestinationUri()))) {
            return no(
                    ReasonCode.MIGRATION_URI_NOT_ALLOWED,
                    "migrationUri '" + printable(s.getMigrationUri()) + "' is not the address of the foreign"
                            + " destination " + DestinationPolicy.withoutQuery(s.getDestinationUri()));
        }
        return Optional.empty();
    }

    /** Where a host can be reached for a migration stream: its migration addresses and its libvirt URI's host. */
    private static List<String> addressesOf(HostState h) {
        List<String> all = new ArrayList<>(h.getMigrationAddresses());
        String libvirtHost = hostOf(h.getLibvirtUri());
        if (libvirtHost != null && !libvirtHost.isEmpty()) {
            all.add(libvirtHost);
        }
        return all;
    }

    private static String base(String libvirtUri) {
        return libvirtUri == null ? "" : DestinationPolicy.withoutQuery(libvirtUri);
    }

    /** The host of a libvirt URI ({@code qemu+tcp://HOST[:PORT]/system}), without brackets. */
    private static String hostOf(String libvirtUri) {
        java.util.regex.Matcher m = LIBVIRT_URI.matcher(libvirtUri == null ? "" : libvirtUri);
        if (!m.matches() || m.group(3) == null) {
            return null;
        }
        return m.group(3).replace("[", "").replace("]", "");
    }

    /** The address of a hypervisor URI ({@code tcp://ADDRESS[:PORT]} or {@code tcp:ADDRESS}), without brackets. */
    private static String migrationAddress(String migrationUri) {
        java.util.regex.Matcher m = MIGRATION_URI.matcher(migrationUri);
        return m.matches() ? m.group(2).replace("[", "").replace("]", "") : "";
    }

    /**
     * A hypervisor URI with a port must name a port inside the destination's configured migration
     * range (the firewall's): the destination is the named destination host, or the host whose
     * migration address the URI names (unmanaged direct).
     */
    private Optional<Reason> checkPortRange(MigrationSpec s) {
        java.util.regex.Matcher m = s.getMigrationUri() == null
                ? null
                : java.util.regex.Pattern.compile("tcp://\\[?([^\\]/]+)\\]?:([0-9]{1,5})")
                        .matcher(s.getMigrationUri());
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        String address = m.group(1);
        int port = Integer.parseInt(m.group(2));
        Optional<HostState> dest = s.getDestinationHost() != null
                ? inventory.host(s.getDestinationHost())
                : inventory.hosts().stream()
                        .filter(h -> h.getMigrationAddresses().contains(address))
                        .findFirst();
        if (dest.isPresent()
                && (port < dest.get().getMigrationPortMin() || port > dest.get().getMigrationPortMax())) {
            return no(
                    ReasonCode.PORT_OUT_OF_RANGE,
                    "port " + port + " of migrationUri is outside "
                            + dest.get().getHostId() + "'s migration port range "
                            + dest.get().getMigrationPortMin() + "-"
                            + dest.get().getMigrationPortMax() + " (its firewall's); choose one inside it");
        }
        return Optional.empty();
    }

    private Optional<Reason> checkUris(MigrationSpec s) {
        for (String[] u : new String[][] {{"sourceUri", s.getSourceUri()}, {"destinationUri", s.getDestinationUri()}}) {
            if (u[1] != null && !LIBVIRT_URI.matcher(u[1]).matches()) {
                return no(
                        ReasonCode.MALFORMED_URI,
                        u[0] + " '" + printable(u[1]) + "' is not a libvirt QEMU URI"
                                + " such as qemu+tls://10.250.0.2/system");
            }
        }
        if (s.getMigrationUri() != null
                && !MIGRATION_URI.matcher(s.getMigrationUri()).matches()) {
            return no(
                    ReasonCode.MALFORMED_URI,
                    "migrationUri '" + printable(s.getMigrationUri())
                            + "' is not a hypervisor migration URI vmflow accepts: use tcp://HOST[:PORT]");
        }
        if (s.getControlFlow() == ControlFlow.UNMANAGED_DIRECT) {
            if (s.getMigrationUri() == null) {
                return no(
                        ReasonCode.MISSING_HYPERVISOR_URI,
                        "unmanaged direct migration needs the hypervisor"
                                + " migration URI (seed URI 3), e.g. tcp://10.251.0.2:49200");
            }
            if (!s.getMigrationUri().matches(".*:[0-9]{1,5}$")) {
                return no(
                        ReasonCode.MALFORMED_URI,
                        "unmanaged direct migration needs a port in the hypervisor"
                                + " URI: the destination hypervisor listens on it");
            }
        }
        return Optional.empty();
    }

    /**
     * Every number of a request within bounds that keep the arithmetic on it exact (a timeout of
     * Long.MAX_VALUE seconds would overflow every deadline computed from it) and that the hypervisor
     * accepts; every free text within a length.
     */
    static final Map<String, long[]> BOUNDS = Map.of(
            "spec.bandwidthMiBps", new long[] {1, 1_048_576}, // up to 1 TiB/s
            "spec.maxDowntimeMs", new long[] {1, 2_000_000}, // QEMU's own limit: 2000 s
            "spec.completionTimeoutSecondsPerGiB", new long[] {1, 86_400}, // up to a day per GiB
            "priority", new long[] {-1000, 1000});

    private static Optional<Reason> checkBounds(MigrationRequest r) {
        MigrationSpec s = r.getSpec();
        Map<String, Long> given = new java.util.LinkedHashMap<>();
        given.put("spec.bandwidthMiBps", s.getBandwidthMiBps());
        given.put("spec.maxDowntimeMs", s.getMaxDowntimeMs());
        given.put("spec.completionTimeoutSecondsPerGiB", s.getCompletionTimeoutSecondsPerGiB());
        given.put("priority", (long) r.getPriority());
        for (Map.Entry<String, Long> e : given.entrySet()) {
            long[] b = BOUNDS.get(e.getKey());
            if (e.getValue() != null && (e.getValue() < b[0] || e.getValue() > b[1])) {
                return no(
                        ReasonCode.VALUE_OUT_OF_RANGE,
                        e.getKey() + " is " + e.getValue() + "; it must be " + b[0] + " to " + b[1] + " when given");
            }
        }
        if (r.getPrincipal().length() > 200
                || r.getRequester() != null && r.getRequester().length() > 200
                || r.getReason() != null && r.getReason().length() > 1000) {
            return no(
                    ReasonCode.VALUE_OUT_OF_RANGE,
                    "principal and requester may be at most 200 characters," + " reason at most 1000");
        }
        return Optional.empty();
    }

    private static Optional<Reason> checkFlags(MigrationSpec s) {
        if (!s.getLive() && (s.getPostCopy() || s.getAutoConverge())) {
            return no(ReasonCode.CONFLICTING_FLAGS, "postCopy and autoConverge apply to live migrations only");
        }
        if (s.getTls() && s.getTransport() == Transport.TUNNELLED) {
            return no(
                    ReasonCode.CONFLICTING_FLAGS,
                    "tls asks QEMU to encrypt a native stream; a tunnelled one is encrypted by the vmflow"
                            + " relay (or carried by libvirt's own connection): use transport NATIVE with tls,"
                            + " or TUNNELLED without it");
        }
        if (s.getControlFlow() == ControlFlow.UNMANAGED_DIRECT) {
            if (s.getTls()) {
                return no(
                        ReasonCode.CONFLICTING_FLAGS,
                        "tls needs libvirt to set up QEMU's TLS on both ends; in unmanaged direct migration"
                                + " vmflow drives QEMU alone: use a managed flow with tls");
            }
            if (s.getPersistDest() || s.getUndefineSource()) {
                return no(
                        ReasonCode.CONFLICTING_FLAGS,
                        "unmanaged direct migration is the hypervisor's alone:"
                                + " libvirt's persistDest and undefineSource cannot apply");
            }
            if (s.getTransport() == Transport.TUNNELLED) {
                return no(
                        ReasonCode.CONFLICTING_FLAGS,
                        "unmanaged direct migration uses the hypervisor's native"
                                + " transport; tunnelled needs a managed flow");
            }
            if (s.getPostCopy() || s.getAutoConverge() || !s.getLive()) {
                return no(
                        ReasonCode.CONFLICTING_FLAGS,
                        "unmanaged direct migration supports live migration" + " without postCopy or autoConverge");
            }
        }
        return Optional.empty();
    }

    private String knownHosts() {
        TreeSet<String> ids = new TreeSet<>();
        inventory.hosts().forEach(h -> ids.add(h.getHostId()));
        return ids.toString();
    }

    private static Optional<Reason> no(ReasonCode code, String message) {
        return Optional.of(code.reason(message));
    }

    /** Shows control characters in a hostile value instead of printing them. */
    static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
