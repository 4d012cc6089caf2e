package io.vmflow.coordinator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.vmflow.avro.ControlFlow;
import io.vmflow.avro.MigrationSpec;
import io.vmflow.avro.Reason;
import io.vmflow.coordinator.statemachine.Input;
import io.vmflow.coordinator.statemachine.Migration;
import io.vmflow.coordinator.statemachine.MigrationMachine;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The open migrations follow every change of the table: put, an ending, remove, removeIf, clear. */
class MigrationsTest {

    final MigrationMachine machine = MigrationMachine.withDefaults();

    Tracked requested(String id, String guest) {
        MigrationSpec spec = MigrationSpec.newBuilder()
                .setGuest(guest)
                .setSourceHost("hostA")
                .setDestinationHost("hostB")
                .setControlFlow(ControlFlow.MANAGED_PEER_TO_PEER)
                .build();
        Migration m = Migration.requested(id, id, "alice", spec);
        return new Tracked(m, Instant.now(), 0, null, null, Instant.now());
    }

    Tracked rejected(Tracked t) {
        return t.with(machine.on(t.m(), new Input.Invalid(new Reason("NO_SUCH_GUEST", "no such guest")))
                .migration());
    }

    @Test
    void openMigrationsFollowEveryChange() {
        Migrations table = new Migrations();
        Tracked a = requested("mig-a", "web-1");
        Tracked b = requested("mig-b", "web-2");
        table.put("mig-a", a);
        table.put("mig-b", b);
        assertThat(table.open()).containsExactlyInAnyOrder(a, b);

        Tracked ended = rejected(a);
        assertThat(ended.m().phase().isFinal()).isTrue();
        table.put("mig-a", ended);
        assertThat(table.open()).containsExactly(b);
        assertThat(table.values()).containsExactlyInAnyOrder(ended, b);
        assertThat(table.size()).isEqualTo(2);

        table.put("mig-a", a); // a rollback puts back what a migration was
        assertThat(table.open()).containsExactlyInAnyOrder(a, b);

        table.remove("mig-a");
        assertThat(table.open()).containsExactly(b);
        assertThat(table.containsKey("mig-a")).isFalse();

        table.put("mig-c", requested("mig-c", "web-3"));
        table.removeIf(id -> id.equals("mig-b"));
        assertThat(table.open()).extracting(t -> t.m().id()).containsExactly("mig-c");

        table.clear();
        assertThat(table.open()).isEmpty();
        assertThat(table.values()).isEmpty();
        assertThat(table.openOfGuest("web-3")).isEmpty();
    }

    @Test
    void theGuestAndDestinationIndexesHoldOnlyOpenMigrations() {
        Migrations table = new Migrations();
        Tracked a = requested("mig-a", "web-1");
        Tracked b = requested("mig-b", "web-1");
        Tracked c = requested("mig-c", "web-2");
        table.put("mig-a", a);
        table.put("mig-b", b);
        table.put("mig-c", c);
        assertThat(table.openOfGuest("web-1")).containsExactlyInAnyOrder(a, b);
        assertThat(table.openTo("hostB")).containsExactlyInAnyOrder(a, b, c);
        assertThat(table.openOfGuest("web-9")).isEmpty();
        assertThat(table.openTo(null)).isEmpty();

        table.put("mig-a", rejected(a));
        assertThat(table.openOfGuest("web-1")).containsExactly(b);
        assertThat(table.openTo("hostB")).containsExactlyInAnyOrder(b, c);

        table.put("mig-a", a); // rolled back: open again
        assertThat(table.openOfGuest("web-1")).containsExactlyInAnyOrder(a, b);

        table.remove("mig-b");
        table.removeIf(id -> id.equals("mig-c"));
        assertThat(table.openOfGuest("web-1")).containsExactly(a);
        assertThat(table.openOfGuest("web-2")).isEmpty();
        assertThat(table.openTo("hostB")).containsExactly(a);
    }
}
