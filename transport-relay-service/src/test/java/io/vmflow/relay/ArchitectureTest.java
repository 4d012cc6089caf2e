package io.vmflow.relay;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.vmflow.testsupport.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** The relay's shape, enforced: Vert.x's internals only in RawSocket, no other service, no package cycle. */
class ArchitectureTest {

    static final JavaClasses MAIN = ArchitectureRules.mainClasses("io.vmflow.relay");

    @Test
    void onlyRawSocketUsesVertxInternals() {
        // RawSocket reads and writes Netty's own buffers through NetSocketInternal: the zero-copy data path
        ArchitectureRules.noInternalsExcept("io.vmflow.relay.net.RawSocket").check(MAIN);
    }

    @Test
    void theRelayImportsNoOtherService() {
        ArchitectureRules.servicesApart("io.vmflow.relay").check(MAIN);
    }

    @Test
    void itsPackagesFormNoCycle() {
        ArchitectureRules.noPackageCycles("io.vmflow.relay").check(MAIN);
    }
}
