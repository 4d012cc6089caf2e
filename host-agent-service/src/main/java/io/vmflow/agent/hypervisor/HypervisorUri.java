package io.vmflow.agent.hypervisor;

import io.vmflow.schemas.reasons.ReasonCode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hypervisor-specific migration URI (the seed's third URI) in the form QEMU's own migration
 * takes it: {@code tcp:HOST:PORT}. Accepts {@code tcp://HOST:PORT} too. Anything else is refused:
 * QEMU's {@code exec:}, {@code file:} and {@code fd:} schemes would let a request run commands or
 * write files on the host.
 */
public final class HypervisorUri {

    private static final Pattern TCP = Pattern.compile(
            "tcp:(?://)?(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):([0-9]{1,5})");

    private HypervisorUri() {}

    /** The URI in QEMU's form, or an exception saying what a valid one looks like. */
    public static String toQemu(String uri) throws HypervisorException {
        if (uri == null || uri.isBlank()) {
            throw new HypervisorException(
                    ReasonCode.MALFORMED_COMMAND,
                    "unmanaged direct migration needs the hypervisor URI (seed URI 3), e.g. tcp://10.251.0.2:49200");
        }
        Matcher m = TCP.matcher(uri.trim());
        if (!m.matches()) {
            throw new HypervisorException(
                    ReasonCode.MALFORMED_COMMAND,
                    "'" + uri + "' is not a hypervisor migration URI vmflow hands to QEMU: use tcp://HOST:PORT");
        }
        int port = Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
            throw new HypervisorException(ReasonCode.MALFORMED_COMMAND, "port " + port + " out of range in " + uri);
        }
        return "tcp:" + m.group(1) + ":" + port;
    }
}
