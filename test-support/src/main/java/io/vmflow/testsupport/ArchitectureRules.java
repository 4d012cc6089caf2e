package io.vmflow.testsupport;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules every vmflow module's build enforces on its own main classes (each module has an
 * {@code ArchitectureTest} that checks them, with its own rules beside): services never import each
 * other, packages form no cycle, and nothing uses Vert.x's or Netty's internals except the adapters a
 * module names.
 */
public final class ArchitectureRules {

    private static final List<String> SERVICES =
            List.of("io.vmflow.coordinator", "io.vmflow.agent", "io.vmflow.relay", "io.vmflow.ops");

    private ArchitectureRules() {}

    /** The main (not test) classes under a root package. */
    public static JavaClasses mainClasses(String rootPackage) {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(rootPackage);
    }

    /** A service (or ops) depends on the contract and the runtime, never on another service. */
    public static ArchRule servicesApart(String ownPackage) {
        List<String> others = new ArrayList<>();
        SERVICES.stream().filter(s -> !s.equals(ownPackage)).forEach(s -> others.add(s + ".."));
        return noClasses()
                .that()
                .resideInAPackage(ownPackage + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(others.toArray(String[]::new))
                .because("the services talk over Kafka and the contract only");
    }

    /** No cycle between the packages directly under a root package. */
    public static ArchRule noPackageCycles(String rootPackage) {
        return slices().matching(rootPackage + ".(*)..").should().beFreeOfCycles();
    }

    /** Vert.x's and Netty's internal packages are used, if at all, only by the named adapter classes. */
    public static ArchRule noInternalsExcept(String... adapters) {
        List<String> named = List.of(adapters);
        return noClasses()
                .that(DescribedPredicate.describe("are not " + named, c -> !named.contains(c.getName())))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.vertx.core.internal..", "io.vertx.core.impl..", "io.netty..internal..")
                .because("internals change without notice; one named adapter keeps the risk in one place");
    }
}
