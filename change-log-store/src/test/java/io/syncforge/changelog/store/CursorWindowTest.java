package io.syncforge.changelog.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CursorWindowTest {

  @Test
  void onlyRangesWithSomethingCommittedBeyondTheCursor() {
    CursorWindow w = CursorWindow.between(new long[] {0, 5, 7, 3}, new long[] {0, 9, 7, 2});
    assertEquals(new CursorWindow(new int[] {1}, new long[] {5}, new long[] {9}), w);
    assertEquals(1, w.size());
    assertEquals(0, CursorWindow.between(new long[0], new long[0]).size());
  }

  @Test
  void aCursorOfAnotherPartitionCountIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> CursorWindow.between(new long[] {0, 1}, new long[] {0, 1, 2}));
  }

  @Test
  void theFirstPartitionBelowTheHorizonIsFound() {
    assertEquals(-1, CursorWindow.belowHorizon(new long[] {4, 4}, new long[] {4, 0}));
    assertEquals(1, CursorWindow.belowHorizon(new long[] {4, 2, 0}, new long[] {0, 3, 1}));
    assertEquals(-1, CursorWindow.belowHorizon(new long[0], new long[0]));
  }

  @Test
  void positionsNeverMoveBackwards() {
    assertArrayEquals(
        new long[] {3, 9, 7}, CursorWindow.advance(new long[] {3, 5, 7}, Map.of(1, 9L, 2, 6L)));
  }

  /** Random windows: every range is non-empty, ascending, and exactly the partitions that move. */
  @Test
  void randomWindowsHoldExactlyTheMovingPartitions() {
    Random random = new Random(17);
    for (int run = 0; run < 2_000; run++) {
      int n = random.nextInt(16);
      long[] from = new long[n];
      long[] upto = new long[n];
      for (int p = 0; p < n; p++) {
        from[p] = random.nextInt(5);
        upto[p] = random.nextInt(5);
      }
      CursorWindow w = CursorWindow.between(from, upto);
      Map<Integer, Long> moved = new HashMap<>();
      int last = -1;
      for (int i = 0; i < w.size(); i++) {
        int p = w.partitions()[i];
        assertTrue(p > last);
        last = p;
        assertEquals(from[p], w.from()[i]);
        assertEquals(upto[p], w.upto()[i]);
        assertTrue(w.from()[i] < w.upto()[i]);
        moved.put(p, upto[p]);
      }
      long[] next = CursorWindow.advance(from, moved);
      for (int p = 0; p < n; p++) {
        assertEquals(Math.max(from[p], upto[p]), next[p], "partition " + p);
      }
    }
  }
}
