package io.vmflow.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.vmflow.testsupport.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** The agent's shape, enforced: libvirt only behind the seam, no other service, no package cycle. */
class ArchitectureTest {

    static final JavaClasses MAIN = ArchitectureRules.mainClasses("io.vmflow.agent");

    @Test
    void onlyTheLibvirtAdapterTouchesLibvirtJava() {
        noClasses()
                .that()
                .resideOutsideOfPackage("io.vmflow.agent.libvirt..")
                .and()
                .doNotHaveSimpleName("HostAgent")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.libvirt..", "com.sun.jna..")
                .because("the flows use the Hypervisor seam; HostAgent only chooses the adapter")
                .check(MAIN);
    }

    @Test
    void theSeamKnowsNothingOfLibvirt() {
        noClasses()
                .that()
                .resideInAPackage("io.vmflow.agent.hypervisor..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.vmflow.agent.libvirt..", "org.libvirt..")
                .check(MAIN);
    }

    @Test
    void theAgentImportsNoOtherService() {
        ArchitectureRules.servicesApart("io.vmflow.agent").check(MAIN);
    }

    @Test
    void itsPackagesFormNoCycle() {
        ArchitectureRules.noPackageCycles("io.vmflow.agent").check(MAIN);
    }

    @Test
    void itUsesNoVertxOrNettyInternals() {
        ArchitectureRules.noInternalsExcept().check(MAIN);
    }
}
