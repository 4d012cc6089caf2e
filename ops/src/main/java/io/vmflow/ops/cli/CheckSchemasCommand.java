package io.vmflow.ops.cli;

import io.vmflow.ops.setup.SchemaSetup;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Asks the registry whether this build's schemas are compatible with what it last registered. */
@Command(
        name = "check-schemas",
        mixinStandardHelpOptions = true,
        description =
                "Check this build's schemas against the latest registered versions; exit 1 if any is incompatible.")
final class CheckSchemasCommand implements Callable<Integer> {

    @Option(names = "--hosts", split = ",", description = "Host ids whose command subjects to check too.")
    List<String> hosts = new ArrayList<>();

    @Override
    public Integer call() {
        SchemaRegistryClient registry = Endpoints.fromEnvironment().registry();
        boolean ok = true;
        for (SchemaSetup.Outcome o : new SchemaSetup(registry).run(TopicCatalogue.all(hosts), false)) {
            System.out.printf("%-36s %s%n", o.subject(), o.compatible() ? "ok" : "INCOMPATIBLE: " + o.detail());
            ok &= o.compatible();
        }
        return ok ? 0 : 1;
    }
}
