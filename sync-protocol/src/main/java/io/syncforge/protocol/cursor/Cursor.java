package io.syncforge.protocol.cursor;

import io.syncforge.protocol.Limits;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.TreeSet;

/**
 * A position in the change log: for every partition p of {@code sync.mutations}, {@code
 * position(p)} is the next log offset the client has NOT seen yet, so a pull reads entries with
 * {@code log_offset >= position(p)}. The start cursor is all zeros.
 *
 * <p>{@code epoch} (a server-chosen log generation, {@link #DEFAULT_EPOCH} by default) together
 * with the partition count identifies the log epoch; {@code scopeHash} binds the cursor to the
 * collections filter it was issued for. Immutable; {@code positions} are copied in and out.
 */
public final class Cursor {
  /** The epoch of a log that was never rebuilt. */
  public static final long DEFAULT_EPOCH = 1;

  private final long epoch;
  private final int scopeHash;
  private final long[] positions;

  /**
   * @param epoch log generation, {@code >= 0}
   * @param scopeHash {@link #scopeHash(Collection)} of the collections filter
   * @param positions next unseen offset per partition, each {@code >= 0}; 1..{@link
   *     Limits#MAX_PARTITIONS} partitions
   */
  public Cursor(long epoch, int scopeHash, long[] positions) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch < 0: " + epoch);
    }
    if (positions == null) {
      throw new NullPointerException("positions == null");
    }
    if (positions.length < 1 || positions.length > Limits.MAX_PARTITIONS) {
      throw new IllegalArgumentException(
          "partition count must be 1.." + Limits.MAX_PARTITIONS + ": " + positions.length);
    }
    for (int p = 0; p < positions.length; p++) {
      if (positions[p] < 0) {
        throw new IllegalArgumentException("positions[" + p + "] < 0: " + positions[p]);
      }
    }
    this.epoch = epoch;
    this.scopeHash = scopeHash;
    this.positions = positions.clone();
  }

  /** The cursor of a client that has seen nothing: every position 0. */
  public static Cursor start(long epoch, int scopeHash, int partitionCount) {
    if (partitionCount < 1 || partitionCount > Limits.MAX_PARTITIONS) {
      throw new IllegalArgumentException(
          "partition count must be 1.." + Limits.MAX_PARTITIONS + ": " + partitionCount);
    }
    return new Cursor(epoch, scopeHash, new long[partitionCount]);
  }

  /**
   * A stable hash of a collections filter: the first 4 bytes (big-endian) of SHA-256 over the
   * sorted, de-duplicated, comma-joined names, UTF-8. Null or empty means all collections and
   * hashes the empty string.
   */
  public static int scopeHash(Collection<String> collections) {
    String joined = collections == null ? "" : String.join(",", new TreeSet<>(collections));
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.UTF_8));
      return ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  /** The log generation. */
  public long epoch() {
    return epoch;
  }

  /** The hash of the collections filter the cursor was issued for. */
  public int scopeHash() {
    return scopeHash;
  }

  /** True if this cursor was issued for {@code collections}. */
  public boolean matchesScope(Collection<String> collections) {
    return scopeHash == scopeHash(collections);
  }

  /** The number of partitions, part of the log epoch. */
  public int partitionCount() {
    return positions.length;
  }

  /** The next unseen offset of partition {@code p}. */
  public long position(int p) {
    return positions[p];
  }

  /** A copy of all positions. */
  public long[] positions() {
    return positions.clone();
  }

  /** This cursor with partition {@code p} at {@code nextOffset}. */
  public Cursor withPosition(int p, long nextOffset) {
    long[] copy = positions.clone();
    copy[p] = nextOffset;
    return new Cursor(epoch, scopeHash, copy);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cursor c
        && epoch == c.epoch
        && scopeHash == c.scopeHash
        && Arrays.equals(positions, c.positions);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Long.hashCode(epoch) + scopeHash) + Arrays.hashCode(positions);
  }

  @Override
  public String toString() {
    return "Cursor{epoch="
        + epoch
        + ", scopeHash="
        + Integer.toHexString(scopeHash)
        + ", positions="
        + Arrays.toString(positions)
        + "}";
  }
}
