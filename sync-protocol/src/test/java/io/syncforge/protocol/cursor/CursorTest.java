package io.syncforge.protocol.cursor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.protocol.Limits;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CursorTest {

  @Test
  void equalityComparesPositionsByValue() {
    Cursor a = new Cursor(1, 7, new long[] {1, 2, 3});
    Cursor b = new Cursor(1, 7, new long[] {1, 2, 3});
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, new Cursor(1, 7, new long[] {1, 2, 4}));
    assertNotEquals(a, new Cursor(2, 7, new long[] {1, 2, 3}));
    assertNotEquals(a, new Cursor(1, 8, new long[] {1, 2, 3}));
    assertTrue(a.toString().contains("[1, 2, 3]"), a.toString());
  }

  @Test
  void positionsAreCopiedInAndOut() {
    long[] in = {5, 6};
    Cursor c = new Cursor(1, 0, in);
    in[0] = 99;
    c.positions()[1] = 99;
    assertEquals(5, c.position(0));
    assertEquals(6, c.position(1));
    Cursor moved = c.withPosition(1, 10);
    assertEquals(6, c.position(1));
    assertEquals(10, moved.position(1));
  }

  @Test
  void startIsAllZeros() {
    Cursor c = Cursor.start(Cursor.DEFAULT_EPOCH, 0, 12);
    assertEquals(12, c.partitionCount());
    assertTrue(Arrays.stream(c.positions()).allMatch(p -> p == 0));
  }

  @Test
  void invalidValuesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Cursor(-1, 0, new long[1]));
    assertThrows(IllegalArgumentException.class, () -> new Cursor(1, 0, new long[0]));
    assertThrows(IllegalArgumentException.class, () -> new Cursor(1, 0, new long[] {-1}));
    assertThrows(
        IllegalArgumentException.class, () -> Cursor.start(1, 0, Limits.MAX_PARTITIONS + 1));
    assertThrows(NullPointerException.class, () -> new Cursor(1, 0, null));
  }

  @Test
  void scopeHashIsStableAndOrderFree() {
    // First 4 bytes of SHA-256("") = e3b0c442: all collections.
    assertEquals(0xe3b0c442, Cursor.scopeHash(List.of()));
    assertEquals(0xe3b0c442, Cursor.scopeHash(null));
    assertEquals(
        Cursor.scopeHash(List.of("notes", "tasks")),
        Cursor.scopeHash(List.of("tasks", "notes", "tasks")));
    assertNotEquals(Cursor.scopeHash(List.of("tasks")), Cursor.scopeHash(List.of("notes")));
    assertNotEquals(Cursor.scopeHash(List.of("tasks")), Cursor.scopeHash(List.of()));
    Cursor c = Cursor.start(1, Cursor.scopeHash(List.of("tasks")), 1);
    assertTrue(c.matchesScope(List.of("tasks")));
    assertTrue(!c.matchesScope(List.of()));
  }
}
