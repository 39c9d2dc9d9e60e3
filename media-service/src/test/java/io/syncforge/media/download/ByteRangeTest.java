package io.syncforge.media.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteRangeTest {

  @Test
  void parsesTheSingleRangeForms() throws Exception {
    assertEquals(new ByteRange(0, 0), ByteRange.parse("bytes=0-0", 10));
    assertEquals(new ByteRange(2, 5), ByteRange.parse("bytes=2-5", 10));
    assertEquals(new ByteRange(7, 9), ByteRange.parse("bytes=7-", 10));
    assertEquals(new ByteRange(7, 9), ByteRange.parse("bytes=-3", 10));
    assertEquals(new ByteRange(0, 9), ByteRange.parse("bytes=-30", 10));
    assertEquals(new ByteRange(5, 9), ByteRange.parse("bytes=5-999", 10));
    assertEquals("bytes 5-9/10", new ByteRange(5, 9).contentRange(10));
    assertEquals(5, new ByteRange(5, 9).length());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "bytes=", "bytes=-", "bytes=5-2", "items=0-1", "bytes=0-1,3-4", "x"})
  void ignoresWhatItMayIgnore(String header) throws Exception {
    assertNull(ByteRange.parse(header, 10));
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=10-", "bytes=10-20", "bytes=-0"})
  void refusesRangesOutsideTheObject(String header) {
    assertThrows(ByteRange.Unsatisfiable.class, () -> ByteRange.parse(header, 10));
  }
}
