package io.vmflow.ops.cli;

import io.vmflow.ops.setup.SchemaSetup;
import io.vmflow.ops.setup.TopicSetup;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Creates every topic of the catalogue and registers every schema with BACKWARD compatibility. */
@Command(
        name = "setup",
        mixinStandardHelpOptions = true,
        description = "Create vmflow's topics from the catalogue and register its schemas (idempotent).")
final class SetupCommand implements Callable<Integer> {

    @Option(names = "--hosts", split = ",", description = "Host ids whose command topics to create too.")
    List<String> hosts = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        List<Topic> topics = TopicCatalogue.all(hosts);
        try (Admin admin = Admin.create(endpoints.admin())) {
            for (TopicSetup.Outcome o : new TopicSetup(admin).ensure(topics)) {
                System.out.printf("topic   %-36s %-8s %s%n", o.topic(), o.status(), o.detail());
            }
        }
        boolean ok = true;
        for (SchemaSetup.Outcome o :
                new SchemaSetup(new SchemaRegistryClient(endpoints.registryUrl())).run(topics, true)) {
            System.out.printf(
                    "subject %-36s %-8s %s%n", o.subject(), o.compatible() ? "id " + o.id() : "REFUSED", o.detail());
            ok &= o.compatible();
        }
        return ok ? 0 : 1;
    }
}
