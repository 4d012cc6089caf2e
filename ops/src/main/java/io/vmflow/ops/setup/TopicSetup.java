package io.vmflow.ops.setup;

import io.vmflow.runtime.kafka.TopicReplication;
import io.vmflow.schemas.topics.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the catalogue's topics on a broker. Idempotent: an existing topic is left as it is, and a
 * difference from the catalogue (fewer partitions) is reported, never "fixed" behind anyone's back.
 */
public final class TopicSetup {

    /** What happened to one topic. */
    public record Outcome(String topic, String status, String detail) {}

    private final Admin admin;
    private final TopicReplication replication;

    public TopicSetup(Admin admin) {
        this(admin, TopicReplication.fromEnvironment());
    }

    public TopicSetup(Admin admin, TopicReplication replication) {
        this.admin = admin;
        this.replication = replication;
    }

    public List<Outcome> ensure(List<Topic> topics) throws InterruptedException {
        List<Outcome> outcomes = new ArrayList<>();
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list topics: " + e.getCause(), e.getCause());
        }
        for (Topic t : topics) {
            if (existing.contains(t.name())) {
                outcomes.add(checkExisting(t));
                continue;
            }
            NewTopic nt = replication.newTopic(t);
            try {
                admin.createTopics(List.of(nt)).all().get();
                outcomes.add(new Outcome(
                        t.name(),
                        "created",
                        t.partitions() + " partitions, " + replication.replicationFactor() + " copies "
                                + nt.configs()));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    outcomes.add(checkExisting(t)); // created meanwhile by someone else
                } else {
                    throw new IllegalStateException(
                            "cannot create topic " + t.name() + ": " + e.getCause(), e.getCause());
                }
            }
        }
        return outcomes;
    }

    private Outcome checkExisting(Topic t) throws InterruptedException {
        try {
            Map<String, TopicDescription> d =
                    admin.describeTopics(List.of(t.name())).allTopicNames().get();
            int partitions = d.get(t.name()).partitions().size();
            if (partitions < t.partitions()) {
                return new Outcome(
                        t.name(),
                        "differs",
                        "has " + partitions + " partitions, the catalogue says " + t.partitions()
                                + " (add them with kafka-topics --alter if you want them)");
            }
            return new Outcome(t.name(), "exists", partitions + " partitions");
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe topic " + t.name() + ": " + e.getCause(), e.getCause());
        }
    }
}
