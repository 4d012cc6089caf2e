package io.vmflow.relay.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.avro.SessionAction;
import io.vmflow.avro.TunnelSession;
import io.vmflow.runtime.kafka.InvalidRecordException;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** hostA's relay reading sessions: only a session's source host may open or close it. */
class SessionFeedTest {

    /** No relay behind it: a session that got past the checks would fail on the null relay. */
    private final SessionFeed feed = new SessionFeed("hostA", null, null, Path.of("/nonexistent"), Clock.systemUTC());

    @Test
    void aSessionOnAnotherHostsTopicThanItsSourceIsRefused() {
        // hostC's agent (which may write only hostC's topic) closes a session from hostB to hostA
        TunnelSession close = session("hostB", "hostA", SessionAction.CLOSE);
        assertThatThrownBy(() -> feed.accept(on("hostC"), close))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("names hostB as its source")
                .satisfies(e -> assertThat(((InvalidRecordException) e).code()).isEqualTo("NOT_ITS_HOST"));
        // ... or opens one in hostB's name
        assertThatThrownBy(() -> feed.accept(on("hostC"), session("hostB", "hostA", SessionAction.OPEN)))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void sessionsNotNamingThisHostAreIgnoredWhereverTheyAre() {
        feed.accept(on("hostC"), session("hostB", "hostD", SessionAction.CLOSE)); // no relay touched
    }

    private static ConsumerRecord<String, byte[]> on(String host) {
        return new ConsumerRecord<>(TopicCatalogue.tunnelSessions(host).name(), 0, 0L, "m-1", new byte[0]);
    }

    private static TunnelSession session(String source, String destination, SessionAction action) {
        return TunnelSession.newBuilder()
                .setSessionId("s-1")
                .setMigrationId("m-1")
                .setAction(action)
                .setSourceHost(source)
                .setDestinationHost(destination)
                .setDestinationRelay("10.250.0.2:7443")
                .setCredentialSha256(ByteBuffer.wrap(new byte[32]))
                .setExpiresAt(Instant.now().plusSeconds(60))
                .setIssuedAt(Instant.now())
                .build();
    }
}
