package io.vmflow.runtime.security;

import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

/**
 * What each vmflow principal may do on Kafka, as ACLs for the brokers' StandardAuthorizer (written by
 * {@code vmflow setup}; the brokers allow nothing that no ACL names). Admins (and the brokers) are
 * super users and need none.
 *
 * <ul>
 *   <li>coordinator: reads and writes vmflow's topics, as the one consumer group of coordinators,
 *       with its transactional ids;
 *   <li>agent of host H: creates H's topics; reads only H's commands; writes only H's reports, H's
 *       state, H's peer commands (as a peer-to-peer source), H's tunnel sessions and dead letters; reads
 *       every host's reports (a peer-to-peer source waits for its peer's answer) and peer commands (it
 *       may be the destination), leases and tunnel reports;
 *   <li>relay of host H: reads every host's tunnel sessions, writes tunnel reports and dead letters;
 *   <li>requester: writes migration and cancel requests, reads events, snapshots and every host's state.
 * </ul>
 * No agent writes any host's command topic: the coordinator alone does.
 */
public final class KafkaAccess {

    private KafkaAccess() {}

    /** The ACLs of one principal (none for admins and brokers, which are super users). */
    public static List<AclBinding> of(Identity who) {
        Acls a = new Acls("User:" + who.principal());
        switch (who.role()) {
            case Identity.COORDINATOR -> {
                a.prefixed(ResourceType.TOPIC, "vmflow.", AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE);
                a.literal(ResourceType.GROUP, "vmflow-coordinator", AclOperation.READ, AclOperation.DESCRIBE);
                a.prefixed(
                        ResourceType.TRANSACTIONAL_ID,
                        "vmflow-coordinator-",
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE);
                a.literal(ResourceType.CLUSTER, "kafka-cluster", AclOperation.IDEMPOTENT_WRITE);
            }
            case Identity.AGENT -> {
                String host = who.name();
                a.literal(
                        ResourceType.TOPIC,
                        TopicCatalogue.hostCommands(host).name(),
                        AclOperation.READ,
                        AclOperation.DESCRIBE,
                        AclOperation.CREATE);
                a.literal(
                        ResourceType.TOPIC,
                        TopicCatalogue.hostReports(host).name(),
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE,
                        AclOperation.CREATE);
                a.literal(
                        ResourceType.TOPIC,
                        TopicCatalogue.hostState(host).name(),
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE,
                        AclOperation.CREATE);
                a.literal(
                        ResourceType.TOPIC,
                        TopicCatalogue.peerCommands(host).name(),
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE,
                        AclOperation.CREATE);
                a.prefixed(
                        ResourceType.TOPIC,
                        TopicCatalogue.prefixOf(TopicCatalogue.PEER_COMMANDS_TEMPLATE),
                        AclOperation.READ,
                        AclOperation.DESCRIBE);
                a.prefixed(
                        ResourceType.TOPIC,
                        TopicCatalogue.prefixOf(TopicCatalogue.HOST_REPORTS_TEMPLATE),
                        AclOperation.READ,
                        AclOperation.DESCRIBE);
                a.literal(
                        ResourceType.TOPIC,
                        TopicCatalogue.tunnelSessions(host).name(),
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE,
                        AclOperation.CREATE);
                a.literal(
                        ResourceType.TOPIC,
                        TopicCatalogue.DEAD_LETTER.name(),
                        AclOperation.WRITE,
                        AclOperation.DESCRIBE);
                for (String t :
                        List.of(TopicCatalogue.COORDINATOR_LEASES.name(), TopicCatalogue.TUNNEL_REPORTS.name())) {
                    a.literal(ResourceType.TOPIC, t, AclOperation.READ, AclOperation.DESCRIBE);
                }
                a.literal(ResourceType.GROUP, "vmflow-agent-" + who.name(), AclOperation.READ, AclOperation.DESCRIBE);
            }
            case Identity.RELAY -> {
                a.prefixed(
                        ResourceType.TOPIC,
                        TopicCatalogue.prefixOf(TopicCatalogue.TUNNEL_SESSIONS_TEMPLATE),
                        AclOperation.READ,
                        AclOperation.DESCRIBE);
                for (String t : List.of(TopicCatalogue.TUNNEL_REPORTS.name(), TopicCatalogue.DEAD_LETTER.name())) {
                    a.literal(ResourceType.TOPIC, t, AclOperation.WRITE, AclOperation.DESCRIBE);
                }
                a.literal(ResourceType.GROUP, "vmflow-relay-" + who.name(), AclOperation.READ, AclOperation.DESCRIBE);
            }
            case Identity.REQUESTER -> {
                for (String t :
                        List.of(TopicCatalogue.MIGRATION_REQUESTS.name(), TopicCatalogue.CANCEL_REQUESTS.name())) {
                    a.literal(ResourceType.TOPIC, t, AclOperation.WRITE, AclOperation.DESCRIBE);
                }
                for (String t :
                        List.of(TopicCatalogue.MIGRATION_EVENTS.name(), TopicCatalogue.MIGRATION_SNAPSHOTS.name())) {
                    a.literal(ResourceType.TOPIC, t, AclOperation.READ, AclOperation.DESCRIBE);
                }
                a.prefixed(
                        ResourceType.TOPIC,
                        TopicCatalogue.prefixOf(TopicCatalogue.HOST_STATE_TEMPLATE),
                        AclOperation.READ,
                        AclOperation.DESCRIBE);
            }
            default -> {}
        }
        return a.bindings;
    }

    /** A filter matching every ACL of one principal (to revoke it). */
    public static AclBindingFilter all(Identity who) {
        return new AclBindingFilter(
                ResourcePatternFilter.ANY,
                new AccessControlEntryFilter("User:" + who.principal(), null, AclOperation.ANY, AclPermissionType.ANY));
    }

    private static final class Acls {
        final String principal;
        final List<AclBinding> bindings = new ArrayList<>();

        Acls(String principal) {
            this.principal = principal;
        }

        void literal(ResourceType type, String name, AclOperation... ops) {
            add(new ResourcePattern(type, name, PatternType.LITERAL), ops);
        }

        void prefixed(ResourceType type, String prefix, AclOperation... ops) {
            add(new ResourcePattern(type, prefix, PatternType.PREFIXED), ops);
        }

        private void add(ResourcePattern pattern, AclOperation... ops) {
            for (AclOperation op : ops) {
                bindings.add(
                        new AclBinding(pattern, new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
            }
        }
    }
}
