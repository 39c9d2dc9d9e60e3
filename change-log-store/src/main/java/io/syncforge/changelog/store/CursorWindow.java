package io.syncforge.changelog.store;

import java.util.Arrays;
import java.util.Map;

/**
 * The cursor arithmetic of a pull, pure: which partition ranges {@code from[p] <= offset < upto[p]}
 * a pull reads, whether a cursor fell behind the compaction horizon, and the next cursor positions,
 * which never move backwards. {@code from} is the cursor's positions, {@code upto} the writer's
 * committed positions ({@link LogReader#state}) in the same snapshot.
 *
 * @param partitions the partitions with something committed beyond the cursor, ascending
 * @param from per entry of {@code partitions}, the cursor's position
 * @param upto per entry of {@code partitions}, the writer's position
 */
public record CursorWindow(int[] partitions, long[] from, long[] upto) {

  /** The non-empty ranges between the cursor positions {@code from} and {@code upto}. */
  public static CursorWindow between(long[] from, long[] upto) {
    if (from.length != upto.length) {
      throw new IllegalArgumentException(
          "cursor has " + from.length + " partitions, the log " + upto.length);
    }
    int n = 0;
    for (int p = 0; p < from.length; p++) {
      n += from[p] < upto[p] ? 1 : 0;
    }
    int[] ps = new int[n];
    long[] fs = new long[n];
    long[] us = new long[n];
    for (int p = 0, i = 0; p < from.length; p++) {
      if (from[p] < upto[p]) {
        ps[i] = p;
        fs[i] = from[p];
        us[i++] = upto[p];
      }
    }
    return new CursorWindow(ps, fs, us);
  }

  /** How many partition ranges the window holds. */
  public int size() {
    return partitions.length;
  }

  /**
   * The first partition whose cursor position lies below the compaction horizon (changes there may
   * be gone: the device must re-snapshot), or -1 when the cursor is complete.
   */
  public static int belowHorizon(long[] cursor, long[] minOffsets) {
    for (int p = 0; p < Math.min(cursor.length, minOffsets.length); p++) {
      if (cursor[p] < minOffsets[p]) {
        return p;
      }
    }
    return -1;
  }

  /**
   * The next cursor positions: {@code from}, with each partition in {@code moved} advanced to the
   * offset after what the page took (or to the writer's position when the range held nothing for
   * the caller). A position never moves backwards, whatever {@code moved} says.
   */
  public static long[] advance(long[] from, Map<Integer, Long> moved) {
    long[] next = from.clone();
    moved.forEach((p, position) -> next[p] = Math.max(next[p], position));
    return next;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CursorWindow w
        && Arrays.equals(partitions, w.partitions)
        && Arrays.equals(from, w.from)
        && Arrays.equals(upto, w.upto);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(partitions) + Arrays.hashCode(from)) + Arrays.hashCode(upto);
  }

  @Override
  public String toString() {
    return "CursorWindow"
        + Arrays.toString(partitions)
        + Arrays.toString(from)
        + Arrays.toString(upto);
  }
}
