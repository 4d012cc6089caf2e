package io.vmflow.ops;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.vmflow.testsupport.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** The CLI and the stack tooling speak the contract over Kafka like any client: no service's classes. */
class ArchitectureTest {

    static final JavaClasses MAIN = ArchitectureRules.mainClasses("io.vmflow.ops");

    @Test
    void opsImportsNoService() {
        ArchitectureRules.servicesApart("io.vmflow.ops").check(MAIN);
    }

    @Test
    void itsPackagesFormNoCycle() {
        ArchitectureRules.noPackageCycles("io.vmflow.ops").check(MAIN);
    }
}
