package io.vmflow.agent.commands;

import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostCommand;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether an agent takes a command, judged by the topic it arrived on. Its own command topic is the
 * coordinator's alone (the broker's ACLs), so everything there is taken (and checked further by the
 * processor). Every host's peer-command topic is read by every agent: a command there is taken only
 * when it is addressed to this host, is a PREPARE or a FINISH, belongs to a peer-to-peer migration, and
 * the topic's host (the only writer the broker allows) is that migration's source. So a compromised
 * host can ask a destination only about migrations it is itself the source of.
 */
public final class CommandOrigin {

    /** What to do with a command. */
    public enum Verdict {
        /** Take it. */
        TAKE,
        /** A peer command for another host: not this agent's business. */
        NOT_FOR_US,
        /** Addressed to this host but not believable from where it came: dead-lettered, never run. */
        UNTRUSTED
    }

    /** A verdict, with the reason code and message of an untrusted command. */
    public record Judgement(Verdict verdict, ReasonCode code, String message) {
        static final Judgement TAKE = new Judgement(Verdict.TAKE, null, null);
        static final Judgement NOT_FOR_US = new Judgement(Verdict.NOT_FOR_US, null, null);

        static Judgement untrusted(ReasonCode code, String message) {
            return new Judgement(Verdict.UNTRUSTED, code, message);
        }
    }

    private CommandOrigin() {}

    /** Every topic an agent may take commands from: its own command topic and every host's peer commands. */
    public static Pattern topics(String hostId) {
        return Pattern.compile(Pattern.quote(TopicCatalogue.hostCommands(hostId).name()) + "|"
                + TopicCatalogue.everyHost(TopicCatalogue.PEER_COMMANDS_TEMPLATE)
                        .pattern());
    }

    public static Judgement judge(String hostId, String topic, HostCommand c) {
        if (TopicCatalogue.hostCommands(hostId).name().equals(topic)) {
            return Judgement.TAKE;
        }
        Optional<String> sender = TopicCatalogue.hostOf(TopicCatalogue.PEER_COMMANDS_TEMPLATE, topic);
        if (sender.isEmpty()) {
            return Judgement.untrusted(
                    ReasonCode.NOT_ITS_HOST,
                    "agent " + hostId + " takes commands only from "
                            + TopicCatalogue.hostCommands(hostId).name() + " and from peer-command topics, not from "
                            + topic);
        }
        if (!hostId.equals(c.getHostId())) {
            return Judgement.NOT_FOR_US;
        }
        String from = sender.get();
        if (c.getType() != CommandType.PREPARE && c.getType() != CommandType.FINISH) {
            return Judgement.untrusted(
                    ReasonCode.UNSUPPORTED_COMMAND,
                    "a peer-to-peer source may send its destination only PREPARE and FINISH; " + c.getType() + " from "
                            + from + " is not taken");
        }
        if (c.getSpec().getControlFlow() != ControlFlow.MANAGED_PEER_TO_PEER) {
            return Judgement.untrusted(
                    ReasonCode.NOT_ITS_HOST,
                    c.getType() + " from " + from + " belongs to a "
                            + c.getSpec().getControlFlow() + " migration; only the coordinator sends those commands");
        }
        if (!from.equals(c.getSpec().getSourceHost()) || !from.equals(c.getPeerHost())) {
            return Judgement.untrusted(
                    ReasonCode.NOT_ITS_HOST,
                    c.getType() + " for " + c.getMigrationId() + " came from " + from
                            + " but the migration's source is "
                            + c.getSpec().getSourceHost() + " (peer " + c.getPeerHost()
                            + "); only a migration's source host may send its destination commands");
        }
        return Judgement.TAKE;
    }
}
