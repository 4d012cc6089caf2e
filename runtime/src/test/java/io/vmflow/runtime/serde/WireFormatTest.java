package io.vmflow.runtime.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** What the decoder says about bytes that are not a record, before and without a registry. */
class WireFormatTest {

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private final WireFormat wire;

    WireFormatTest() throws IOException {
        wire = new WireFormat(new SchemaRegistryClient("http://127.0.0.1:" + closedPort()));
    }

    @Test
    void fewerThanFiveBytesAreTruncated() {
        assertThatThrownBy(() -> wire.decode(new byte[] {0, 0, 1}, MigrationEvent.class))
                .isInstanceOfSatisfying(
                        UndecodableRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(UndecodableRecordException.Reason.TRUNCATED));
    }

    @Test
    void aWrongFirstByteIsABadMagicByte() {
        byte[] json = "{\"migrationId\":\"x\"}".getBytes();
        assertThatThrownBy(() -> wire.decode(json, MigrationEvent.class))
                .isInstanceOfSatisfying(UndecodableRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(UndecodableRecordException.Reason.BAD_MAGIC_BYTE);
                    assertThat(e.getMessage()).contains("0x7b");
                    assertThat(e.isTransient()).isFalse();
                });
    }

    @Test
    void anUnreachableRegistryIsTransientAndNamesTheRegistry() {
        assertThatThrownBy(() -> wire.decode(new byte[] {0, 0, 0, 0, 42, 2, 3}, MigrationEvent.class))
                .isInstanceOfSatisfying(UndecodableRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(UndecodableRecordException.Reason.REGISTRY_UNAVAILABLE);
                    assertThat(e.isTransient()).isTrue();
                    assertThat(e.schemaId()).isEqualTo(42);
                    assertThat(e.getMessage()).contains("unreachable");
                });
    }

    @Test
    void theSchemaIdIsReadBigEndian() {
        assertThat(WireFormat.schemaId(new byte[] {0, 0, 0, 1, 2})).isEqualTo(258);
    }
}
