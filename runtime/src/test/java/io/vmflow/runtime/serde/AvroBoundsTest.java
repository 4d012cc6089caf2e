package io.vmflow.runtime.serde;

import static io.vmflow.runtime.serde.AvroBytes.varint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vmflow.schemas.SampleRecords;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** Hostile Avro bodies are refused before Avro's reader allocates what they claim. */
class AvroBoundsTest {

    private static byte[] avro(SpecificRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        new SpecificDatumWriter<SpecificRecord>(r.getSchema()).write(r, e);
        e.flush();
        return out.toByteArray();
    }

    @Test
    void everyRecordOfTheContractPasses() {
        SampleRecords.byTopic()
                .values()
                .forEach(r -> assertThatCode(() -> AvroBounds.check(r.getSchema(), avro(r), 0))
                        .as(r.getSchema().getName())
                        .doesNotThrowAnyException());
    }

    @Test
    void aStringThatClaimsTwoGigabytesIsRefusedWithoutAllocatingThem() {
        Schema s = SchemaBuilder.record("R").fields().requiredString("s").endRecord();
        assertThatThrownBy(() -> AvroBounds.check(s, varint(Integer.MAX_VALUE), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("claims 2147483647 bytes");
    }

    @Test
    void anArrayThatClaimsBillionsOfItemsIsRefused() {
        Schema s = SchemaBuilder.array().items().longType();
        assertThatThrownBy(() -> AvroBounds.check(s, varint(3_000_000_000L), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3000000000 items");
    }

    @Test
    void manyItemsThatTakeNoBytesAreRefused() {
        Schema s = SchemaBuilder.array().items().nullType();
        byte[] million = varint(1_000_000);
        byte[] hostile = java.util.Arrays.copyOf(million, million.length + 1); // then the closing zero count
        assertThatThrownBy(() -> AvroBounds.check(s, hostile, 0)).hasMessageContaining("1000000 items");
        assertThatCode(() -> AvroBounds.check(s, new byte[] {varint(3)[0], 0}, 0))
                .doesNotThrowAnyException();
    }

    @Test
    void aUnionBranchOrEnumSymbolThatDoesNotExistIsRefused() {
        Schema u = SchemaBuilder.unionOf().nullType().and().longType().endUnion();
        assertThatThrownBy(() -> AvroBounds.check(u, varint(7), 0)).hasMessageContaining("no branch 7");
        Schema e = SchemaBuilder.enumeration("E").symbols("A", "B");
        assertThatThrownBy(() -> AvroBounds.check(e, varint(-1), 0)).hasMessageContaining("no symbol -1");
    }

    @Test
    void trailingBytesAndCutShortBodiesAreRefused() throws IOException {
        byte[] good = avro(SampleRecords.event());
        Schema s = SampleRecords.event().getSchema();
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> AvroBounds.check(s, longer, 0)).hasMessageContaining("left over");
        for (int cut = 0; cut < good.length; cut++) {
            byte[] shorter = java.util.Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> AvroBounds.check(s, shorter, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * Random and mutated bodies for every record type: the bounds either refuse them, or Avro's reader
     * reads them within the record's size (no error other than the reader's own, no huge allocation).
     */
    @Test
    void randomAndMutatedBodiesNeverEscapeTheBounds() throws IOException {
        Random random = new Random(20261201);
        for (SpecificRecord r : SampleRecords.byTopic().values()) {
            byte[] good = avro(r);
            for (int i = 0; i < 3000; i++) {
                byte[] b = i % 2 == 0 ? good.clone() : new byte[random.nextInt(64)];
                if (i % 2 == 0) {
                    for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                    }
                } else {
                    random.nextBytes(b);
                }
                try {
                    AvroBounds.check(r.getSchema(), b, 0);
                } catch (IllegalArgumentException refused) {
                    continue;
                }
                BinaryDecoder d = DecoderFactory.get().binaryDecoder(b, null);
                try {
                    new SpecificDatumReader<>(r.getSchema()).read(null, d);
                } catch (IOException | RuntimeException readerError) {
                    // bad values the bounds do not judge (e.g. a string that is not UTF-8): the decoder's job
                }
                assertThat(b.length).isLessThan(1 << 16);
            }
        }
    }
}
