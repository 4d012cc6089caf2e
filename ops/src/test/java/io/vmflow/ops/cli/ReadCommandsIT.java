package io.vmflow.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code vmflow hosts}, {@code list} and {@code show} over the test stack, after the other modules'
 * ITs ran migrations on it (the ops module builds last): the hosts that reported, the migrations
 * with their phase, and one migration's timeline.
 */
class ReadCommandsIT {

    record Run(int exit, String out) {}

    static Run vmflow(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            int exit = VmflowCli.commandLine(args).execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void hostsListAndShowReadWhatTheServicesWrote() {
        Run hosts = vmflow("hosts");
        assertThat(hosts.exit()).as(hosts.out()).isZero();
        assertThat(hosts.out()).contains("hostA", "hostB", "49152-49215");

        Run list = vmflow("list", "--all");
        assertThat(list.exit()).as(list.out()).isZero();
        Matcher succeeded = Pattern.compile("(?m)^(\\S+)\\s+\\S+\\s+SUCCEEDED ").matcher(list.out());
        assertThat(succeeded.find())
                .as("a SUCCEEDED migration in:%n%s", list.out())
                .isTrue();

        Run show = vmflow("show", succeeded.group(1));
        assertThat(show.exit()).as(show.out()).isZero();
        assertThat(show.out()).contains("-> REQUESTED", "-> SUCCEEDED");
        assertThat(Arrays.stream(show.out().split("\n"))
                        .filter(l -> l.contains("->"))
                        .count())
                .isGreaterThan(3);

        Run unknown = vmflow("show", "no-such-migration");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.out()).contains("no events for migration 'no-such-migration'");
    }

    @Test
    void eventsAsJsonLinesCarryEveryFieldOfOneMigration() throws Exception {
        Matcher succeeded = Pattern.compile("(?m)^(\\S+)\\s+\\S+\\s+SUCCEEDED ")
                .matcher(vmflow("list", "--all").out());
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
