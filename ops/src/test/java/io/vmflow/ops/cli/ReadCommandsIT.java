package io.vmflow.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.testsupport.TestPki;
import io.vmflow.testsupport.auth.TestTokens;
import io.vmflow.testsupport.process.ServiceProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code vmflow hosts}, {@code list} and {@code show} over the test stack, after the other modules'
 * ITs ran migrations on it (the ops module builds last): the hosts that reported, the migrations
 * with their phase, and one migration's timeline.
 */
class ReadCommandsIT {

    record Run(int exit, String out, String err) {}

    static Run vmflow(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = VmflowCli.commandLine(args).execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    @Test
    void hostsListAndShowReadWhatTheServicesWroteOnTheTopics() {
        Run hosts = vmflow("hosts", "--from-topics");
        assertThat(hosts.exit()).as(hosts.out()).isZero();
        assertThat(hosts.out()).contains("hostA", "hostB", "49152-49215");

        Run list = vmflow("list", "--all", "--from-topics");
        assertThat(list.exit()).as(list.out()).isZero();
        Matcher succeeded = Pattern.compile("(?m)^(\\S+)\\s+\\S+\\s+SUCCEEDED ").matcher(list.out());
        assertThat(succeeded.find())
                .as("a SUCCEEDED migration in:%n%s", list.out())
                .isTrue();

        Run show = vmflow("show", succeeded.group(1), "--from-topics");
        assertThat(show.exit()).as(show.out()).isZero();
        assertThat(show.out()).contains("-> REQUESTED", "-> SUCCEEDED");
        assertThat(Arrays.stream(show.out().split("\n"))
                        .filter(l -> l.contains("->"))
                        .count())
                .isGreaterThan(3);

        Run unknown = vmflow("show", "no-such-migration", "--from-topics");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.out()).contains("no events for migration 'no-such-migration'");
    }

    /**
     * The same commands (and a migration request) asking a real coordinator's API (started on the test stack, as the local stack
     * runs it) answer what the topics say; when it is gone they say so and read the topics.
     */
    @Test
    void theCoordinatorsApiAnswersWhatTheTopicsSay() throws Exception {
        Map<String, String> env = new HashMap<>(TestTokens.coordinatorEnv());
        env.putAll(TestPki.kafkaEnv("coordinator", "cli-reader"));
        env.put("VMFLOW_COORDINATOR_ID", "cli-reader");
        env.put("VMFLOW_COORDINATOR_HTTP", "127.0.0.1:0");
        env.put("VMFLOW_COORDINATOR_MANAGEMENT", "127.0.0.1:0");
        String url = null;
        try (ServiceProcess coordinator = ServiceProcess.startModule(
                "coordinator for the CLI", "coordinator-service", "io.vmflow.coordinator.Main", env, "HTTP API on")) {
            Matcher api = Pattern.compile("HTTP API on (https?://[^ ]+) ").matcher(coordinator.log());
            assertThat(api.find()).as(coordinator.log()).isTrue();
            url = api.group(1);
            System.setProperty("vmflow.coordinator.url", url);

            Run hosts = vmflow("hosts");
            assertThat(hosts.err()).doesNotContain("did not answer");
            assertThat(hosts.exit()).as(hosts.out()).isZero();
            assertThat(hosts.out()).contains("hostA", "hostB", "49152-49215");

            Run list = vmflow("list", "--all");
            assertThat(list.err()).doesNotContain("did not answer");
            Matcher succeeded =
                    Pattern.compile("(?m)^(\\S+)\\s+\\S+\\s+SUCCEEDED ").matcher(list.out());
            assertThat(succeeded.find())
                    .as("a SUCCEEDED migration in:%n%s", list.out())
                    .isTrue();
            String id = succeeded.group(1);
            assertThat(vmflow("list", "--all", "--from-topics").out())
                    .containsPattern("(?m)^" + id + "\\s+\\S+\\s+SUCCEEDED ");
            assertThat(vmflow("list").out())
                    .as("open ones and the last 20 ended")
                    .contains("migration");

            Run show = vmflow("show", id);
            assertThat(show.err()).doesNotContain("did not answer");
            assertThat(show.exit()).isZero();
            assertThat(show.out())
                    .as("an ended migration's timeline from the API and from the audit log")
                    .isEqualTo(vmflow("show", id, "--from-topics").out());

            // a request by the API, followed on its event stream to the end, and the same by the topics
            for (String way : List.of("--via-api", "--via-topics")) {
                List<String> args = new ArrayList<>(
                        List.of("migrate", "--guest", "no-such-guest", "--source", "hostA", "--destination", "hostB"));
                if (way.equals("--via-topics")) {
                    args.add(way);
                }
                Run refused = vmflow(args.toArray(String[]::new));
                assertThat(refused.err()).as(way).doesNotContain("did not answer");
                assertThat(refused.exit()).as(refused.out()).isEqualTo(1);
                assertThat(refused.out())
                        .as(way)
                        .contains("requested migration", "-> REQUESTED", "-> REJECTED", "result: REJECTED");
            }
        } finally {
            System.clearProperty("vmflow.coordinator.url");
        }
        // the coordinator is gone: the commands say so and read the topics
        try {
            System.setProperty("vmflow.coordinator.url", url);
            Run hosts = vmflow("hosts");
            assertThat(hosts.err()).contains("did not answer", "using the topics instead");
            assertThat(hosts.exit()).isZero();
            assertThat(hosts.out()).contains("hostA", "hostB");
        } finally {
            System.clearProperty("vmflow.coordinator.url");
        }
    }

    @Test
    void eventsAsJsonLinesCarryEveryFieldOfOneMigration() throws Exception {
        Matcher succeeded = Pattern.compile("(?m)^(\\S+)\\s+\\S+\\s+SUCCEEDED ")
                .matcher(vmflow("list", "--all", "--from-topics").out());
        assertThat(succeeded.find()).isTrue();
        String id = succeeded.group(1);

        Run json = vmflow("events", "--json", "--migration", id);

        assertThat(json.exit()).as(json.out()).isZero();
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var lines = json.out().lines().toList();
        assertThat(lines).hasSizeGreaterThan(3);
        var first = mapper.readTree(lines.get(0));
        var last = mapper.readTree(lines.get(lines.size() - 1));
        assertThat(first.path("migrationId").asText()).isEqualTo(id);
        assertThat(first.path("phase").asText()).isEqualTo("REQUESTED");
        assertThat(first.path("occurredAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(last.path("phase").asText()).isEqualTo("SUCCEEDED");
        assertThat(last.path("spec").path("guest").isTextual()).isTrue();
    }

    @Test
    void fromBeginningWithoutFollowIsRefusedWithWhatToDo() {
        Run r = vmflow("events", "--from-beginning");
        assertThat(r.exit()).isEqualTo(2);
    }
}
