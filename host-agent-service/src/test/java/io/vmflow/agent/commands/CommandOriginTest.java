package io.vmflow.agent.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.agent.commands.CommandOrigin.Verdict;
import io.vmflow.avro.CommandType;
import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.HostCommand;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.TimeoutPolicy;
import io.vmflow.avro.Transport;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** hostB's agent judging commands: hostA is the peer-to-peer source of m-1, hostC a third host. */
class CommandOriginTest {

    private static final String OWN = TopicCatalogue.hostCommands("hostB").name();
    private static final String FROM_A = TopicCatalogue.peerCommands("hostA").name();
    private static final String FROM_C = TopicCatalogue.peerCommands("hostC").name();

    @Test
    void whatTheCoordinatorSendsOnTheHostsOwnTopicIsTaken() {
        for (CommandType t : CommandType.values()) {
            assertThat(judge(OWN, command(t, "hostB", "hostA", ControlFlow.MANAGED_DIRECT))
                            .verdict())
                    .as(t.name())
                    .isEqualTo(Verdict.TAKE);
        }
    }

    @Test
    void theSourcesPrepareAndFinishAreTaken() {
        for (CommandType t : new CommandType[] {CommandType.PREPARE, CommandType.FINISH}) {
            assertThat(judge(FROM_A, command(t, "hostB", "hostA", ControlFlow.MANAGED_PEER_TO_PEER))
                            .verdict())
                    .isEqualTo(Verdict.TAKE);
        }
    }

    @Test
    void peerCommandsForAnotherHostAreNoneOfItsBusiness() {
        assertThat(judge(FROM_A, command(CommandType.PREPARE, "hostD", "hostA", ControlFlow.MANAGED_PEER_TO_PEER))
                        .verdict())
                .isEqualTo(Verdict.NOT_FOR_US);
    }

    @Test
    void aHostThatIsNotTheMigrationsSourceIsNotBelieved() {
        // hostC writes on its own topic (the broker lets it) a PREPARE naming hostA as the source
        CommandOrigin.Judgement j =
                judge(FROM_C, command(CommandType.PREPARE, "hostB", "hostA", ControlFlow.MANAGED_PEER_TO_PEER));
        assertThat(j.verdict()).isEqualTo(Verdict.UNTRUSTED);
        assertThat(j.code()).isEqualTo(ReasonCode.NOT_ITS_HOST);
        assertThat(j.message()).contains("came from hostC", "source is hostA");

        // ... or claims to be the source in the peer field alone
        HostCommand claimed = command(CommandType.FINISH, "hostB", "hostA", ControlFlow.MANAGED_PEER_TO_PEER);
        claimed.setPeerHost("hostC");
        assertThat(judge(FROM_C, claimed).verdict()).isEqualTo(Verdict.UNTRUSTED);
    }

    @Test
    void aPeerMaySendOnlyPrepareAndFinishAndOnlyForPeerToPeer() {
        for (CommandType t : CommandType.values()) {
            if (t == CommandType.PREPARE || t == CommandType.FINISH) {
                continue;
            }
            CommandOrigin.Judgement j = judge(FROM_A, command(t, "hostB", "hostA", ControlFlow.MANAGED_PEER_TO_PEER));
            assertThat(j.verdict()).as(t.name()).isEqualTo(Verdict.UNTRUSTED);
            assertThat(j.code()).isEqualTo(ReasonCode.UNSUPPORTED_COMMAND);
        }
        CommandOrigin.Judgement direct =
                judge(FROM_A, command(CommandType.PREPARE, "hostB", "hostA", ControlFlow.MANAGED_DIRECT));
        assertThat(direct.verdict()).isEqualTo(Verdict.UNTRUSTED);
        assertThat(direct.message()).contains("only the coordinator");
    }

    @Test
    void noOtherTopicCarriesCommands() {
        for (String topic : new String[] {
            TopicCatalogue.hostCommands("hostA").name(),
            TopicCatalogue.hostReports("hostA").name(),
            TopicCatalogue.MIGRATION_REQUESTS.name()
        }) {
            assertThat(judge(topic, command(CommandType.PREPARE, "hostB", "hostA", ControlFlow.MANAGED_DIRECT))
                            .verdict())
                    .as(topic)
                    .isEqualTo(Verdict.UNTRUSTED);
        }
    }

    @Test
    void theConsumerFollowsExactlyTheTopicsJudgedHere() {
        java.util.regex.Pattern p = CommandOrigin.topics("hostB");
        assertThat(p.matcher(OWN).matches()).isTrue();
        assertThat(p.matcher(FROM_A).matches()).isTrue();
        assertThat(p.matcher(TopicCatalogue.hostCommands("hostA").name()).matches())
                .isFalse();
        assertThat(p.matcher(TopicCatalogue.hostCommands("hostB2").name()).matches())
                .isFalse();
    }

    private static CommandOrigin.Judgement judge(String topic, HostCommand c) {
        return CommandOrigin.judge("hostB", topic, c);
    }

    private static HostCommand command(CommandType type, String to, String source, ControlFlow flow) {
        return HostCommand.newBuilder()
                .setCommandId("m-1:" + type.name().toLowerCase())
                .setMigrationId("m-1")
                .setHostId(to)
                .setType(type)
                .setEpoch(1L)
                .setIssuer("vmflow-coordinator")
                .setIssuedAt(Instant.EPOCH)
                .setSpec(MigrationSpec.newBuilder()
                        .setGuest("g")
                        .setSourceHost(source)
                        .setDestinationHost("hostB")
                        .setControlFlow(flow)
                        .setTransport(Transport.NATIVE)
                        .setLive(true)
                        .setOnTimeout(TimeoutPolicy.ABORT)
                        .build())
                .setPeerHost(source)
                .build();
    }
}
