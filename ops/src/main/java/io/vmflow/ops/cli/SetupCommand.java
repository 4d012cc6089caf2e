package io.vmflow.ops.cli;

import io.vmflow.ops.setup.AccessSetup;
import io.vmflow.ops.setup.SchemaSetup;
import io.vmflow.ops.setup.TopicSetup;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.security.Identity;
import io.vmflow.schemas.topics.Topic;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Creates every topic of the catalogue, grants the named principals their ACLs, and registers every
 * schema with BACKWARD compatibility.
 */
@Command(
        name = "setup",
        mixinStandardHelpOptions = true,
        description = "Create vmflow's topics from the catalogue, grant principals their Kafka ACLs and register"
                + " its schemas (idempotent; run it as an admin principal).")
final class SetupCommand implements Callable<Integer> {

    @Option(
            names = "--hosts",
            split = ",",
            description = "Host ids whose command topics to create, and whose agent and relay principals to grant.")
    List<String> hosts = new ArrayList<>();

    @Option(
            names = "--grant",
            split = ",",
            paramLabel = "ROLE.NAME",
            description = "More principals to grant their role's ACLs, e.g. coordinator.coordinator-1,requester.alice.")
    List<String> grants = new ArrayList<>();

    @Option(
            names = "--revoke",
            split = ",",
            paramLabel = "ROLE.NAME",
            description = "Principals whose every ACL to delete (with ops/pki.sh DIR revoke for their certificate).")
    List<String> revokes = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Endpoints endpoints = Endpoints.fromEnvironment();
        List<Topic> topics = TopicCatalogue.all(hosts);
        try (Admin admin = Admin.create(endpoints.admin())) {
            for (TopicSetup.Outcome o : new TopicSetup(admin).ensure(topics)) {
                System.out.printf("topic   %-36s %-8s %s%n", o.topic(), o.status(), o.detail());
            }
            List<Identity> granted = new ArrayList<>();
            hosts.forEach(
                    h -> granted.addAll(List.of(new Identity(Identity.AGENT, h), new Identity(Identity.RELAY, h))));
            grants.forEach(g -> granted.add(AccessSetup.identity(g)));
            for (String line : new AccessSetup(admin)
                    .grant(granted, revokes.stream().map(AccessSetup::identity).toList())) {
                System.out.println(line);
            }
        }
        boolean ok = true;
        for (SchemaSetup.Outcome o : new SchemaSetup(endpoints.registry()).run(topics, true)) {
            System.out.printf(
                    "subject %-36s %-8s %s%n", o.subject(), o.compatible() ? "id " + o.id() : "REFUSED", o.detail());
            ok &= o.compatible();
        }
        return ok ? 0 : 1;
    }
}
