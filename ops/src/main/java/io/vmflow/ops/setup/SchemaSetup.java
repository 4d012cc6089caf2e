package io.vmflow.ops.setup;

import io.vmflow.runtime.registry.Compatibility;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import io.vmflow.schemas.topics.Topic;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Prepares the schema registry for vmflow: BACKWARD compatibility on every vmflow subject (and as the
 * registry default), then every value schema registered. A schema the registry finds incompatible
 * with what it holds is reported with its subject, and nothing is forced.
 */
public final class SchemaSetup {

    /** What happened to one subject. */
    public record Outcome(String subject, boolean compatible, int id, String detail) {}

    private final SchemaRegistryClient registry;

    public SchemaSetup(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    /** Checks and registers; with {@code register=false} only checks (the "last registered" check). */
    public List<Outcome> run(List<Topic> topics, boolean register) {
        if (register) {
            registry.setGlobalCompatibility(Compatibility.BACKWARD);
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Topic t : topics) {
            Schema schema = t.valueSchema();
            if (schema == null) {
                continue;
            }
            String subject = t.valueSubject();
            if (register) {
                registry.setCompatibility(subject, Compatibility.BACKWARD);
            }
            if (!registry.isCompatible(subject, schema)) {
                outcomes.add(new Outcome(
                        subject,
                        false,
                        -1,
                        schema.getFullName() + " is not BACKWARD compatible with the latest version registered under "
                                + subject));
                continue;
            }
            if (register) {
                int id = registry.register(subject, schema);
                outcomes.add(new Outcome(subject, true, id, schema.getFullName()));
            } else {
                outcomes.add(new Outcome(subject, true, -1, schema.getFullName() + " compatible"));
            }
        }
        return outcomes;
    }
}
