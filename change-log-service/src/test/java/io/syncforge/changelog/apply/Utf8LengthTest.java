package io.syncforge.changelog.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The record limit counts UTF-8 bytes of the record's JSON without encoding it a second time. */
class Utf8LengthTest {

  @Property
  void countsWhatTheEncoderWrites(@ForAll("text") String text) {
    assertEquals(text.getBytes(StandardCharsets.UTF_8).length, BatchApplier.utf8Length(text));
  }

  /** Well-formed text of 1-, 2-, 3- and 4-byte characters (no unpaired surrogates). */
  @Provide
  Arbitrary<String> text() {
    Arbitrary<Integer> codePoint =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(0, 0x7F)),
            net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x80, 0x7FF)),
            net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x800, 0xD7FF)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0xE000, 0xFFFF)),
            net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x10000, 0x10FFFF)));
    return codePoint
        .list()
        .ofMaxSize(50)
        .map(
            cps -> {
              StringBuilder b = new StringBuilder();
              cps.forEach(b::appendCodePoint);
              return b.toString();
            });
  }
}
