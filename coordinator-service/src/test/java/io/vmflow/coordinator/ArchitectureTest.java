package io.vmflow.coordinator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.vmflow.testsupport.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** The coordinator's shape, enforced: a pure state machine, no other service, no package cycle, no internals. */
class ArchitectureTest {

    static final JavaClasses MAIN = ArchitectureRules.mainClasses("io.vmflow.coordinator");

    @Test
    void theStateMachineIsPureJava() {
        noClasses()
                .that()
                .resideInAPackage("io.vmflow.coordinator.statemachine..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.apache.kafka..",
                        "io.vertx..",
                        "io.netty..",
                        "org.libvirt..",
                        "java.io..",
                        "java.net..",
                        "java.nio..",
                        "java.util.concurrent..",
                        "org.slf4j..",
                        "io.vmflow.runtime..",
                        "io.vmflow.coordinator.engine..",
                        "io.vmflow.coordinator.http..",
                        "io.vmflow.coordinator.inventory..",
                        "io.vmflow.coordinator.observe..")
                .because("the state machine is a pure function, tested in microseconds and read in one sitting")
                .check(MAIN);
    }

    @Test
    void theCoordinatorImportsNoOtherService() {
        ArchitectureRules.servicesApart("io.vmflow.coordinator").check(MAIN);
    }

    @Test
    void itsPackagesFormNoCycle() {
        ArchitectureRules.noPackageCycles("io.vmflow.coordinator").check(MAIN);
    }

    @Test
    void itUsesNoVertxOrNettyInternals() {
        ArchitectureRules.noInternalsExcept().check(MAIN);
    }
}
