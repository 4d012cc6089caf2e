package io.vmflow.schemas;

import static org.assertj.core.api.Assertions.fail;

import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.registry.SchemaRegistryClient;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The real broker and registry the integration tests run against (started by ops/test.sh, found
 * through KAFKA_BOOTSTRAP_SERVERS / SCHEMA_REGISTRY_URL or the failsafe system properties). A test
 * that cannot reach them fails, saying how to start them; it never skips.
 */
public final class RealStack {

    private RealStack() {
    }

    public static Endpoints endpoints() {
        return Endpoints.fromEnvironment();
    }

    public static SchemaRegistryClient registry() {
        return new SchemaRegistryClient(endpoints().registryUrl());
    }

    public static Admin admin() {
        return Admin.create(endpoints().admin());
    }

    /** Creates a topic of the test's own (auto-creation is off on vmflow's broker). */
    public static String scratchTopic(String prefix) {
        String name = "it." + prefix + "." + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(1), Optional.empty()))).all().get();
        } catch (ExecutionException e) {
            fail("cannot create topic on Kafka at " + endpoints().bootstrapServers()
                    + " (start the stack: ops/stack/up.sh, or run the tests with ops/test.sh): " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
        return name;
    }
}
