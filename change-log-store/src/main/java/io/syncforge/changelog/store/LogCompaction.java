package io.syncforge.changelog.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * The compaction and retention statements of the change log (scheduling and transactions are the
 * caller's: change-log-service's {@code Compactor}). What a reader sees afterwards is {@link
 * LogReader#horizon}: a cursor from before it is answered {@code 410 cursor_expired}.
 */
public final class LogCompaction {

  private static final long LOCK_NAMESPACE = 0x5f_c0_4d_00L;

  private LogCompaction() {}

  /**
   * Compacts partition {@code p} as of {@code now} in the caller's transaction: entries older than
   * {@code cutoff} that a later entry of the same record supersedes, and tombstones older than it
   * (with their {@code records} row, raising the collection's version floor so versions never go
   * backwards); then raises the partition's {@code log_horizon} past the highest offset removed.
   * Returns without doing anything when another instance holds the partition's advisory lock.
   *
   * <p>"Superseded" and "the record's last entry" are read from {@code records}, whose {@code
   * (log_partition, log_offset)} name the entry that produced the record's current state (the
   * writer updates both in one transaction): a primary-key probe per entry, where a probe of the
   * log itself needed the {@code change_log_record} index, which every mutation paid for at write
   * time (dropped by V7, issue 11).
   *
   * @return {superseded removed, tombstones removed, 1 if the horizon was raised else 0}
   */
  public static long[] compactPartition(Connection c, int p, Instant cutoff, Instant now)
      throws SQLException {
    try (PreparedStatement lock = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
      lock.setLong(1, LOCK_NAMESPACE + p);
      try (ResultSet rs = lock.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return new long[] {0, 0, 0};
        }
      }
    }
    long[] sup =
        removeAndMax(
            c,
            "WITH removed AS (DELETE FROM change_log c WHERE c.log_partition = ?"
                + " AND c.server_time < ? AND EXISTS (SELECT 1 FROM records r"
                + " WHERE r.tenant = c.tenant AND r.collection = c.collection"
                + " AND r.record_id = c.record_id AND r.log_partition = c.log_partition"
                + " AND r.log_offset > c.log_offset) RETURNING c.log_offset)"
                + " SELECT count(*), max(log_offset) FROM removed",
            p,
            cutoff);
    long[] tomb =
        removeAndMax(
            c,
            "WITH removed AS (DELETE FROM change_log c WHERE c.log_partition = ? AND c.deleted"
                + " AND c.server_time < ? AND EXISTS (SELECT 1 FROM records r"
                + " WHERE r.tenant = c.tenant AND r.collection = c.collection"
                + " AND r.record_id = c.record_id AND r.log_partition = c.log_partition"
                + " AND r.log_offset = c.log_offset)"
                + " RETURNING c.tenant, c.collection, c.record_id, c.log_offset),"
                + " purged AS (DELETE FROM records r USING removed d WHERE r.tenant = d.tenant"
                + " AND r.collection = d.collection AND r.record_id = d.record_id AND r.deleted"
                + " RETURNING r.tenant, r.collection, r.version),"
                // Versions never go backwards: a re-created record starts above the floor.
                + " floors AS (INSERT INTO version_floors (tenant, collection, floor)"
                + " SELECT tenant, collection, max(version) FROM purged GROUP BY 1, 2"
                + " ON CONFLICT (tenant, collection) DO UPDATE SET"
                + " floor = GREATEST(version_floors.floor, EXCLUDED.floor))"
                + " SELECT count(*), max(log_offset) FROM removed",
            p,
            cutoff);
    long maxRemoved = Math.max(sup[1], tomb[1]);
    int raised = 0;
    if (maxRemoved >= 0) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO log_horizon (log_partition, min_offset, horizon_time, compacted_at)"
                  + " VALUES (?, ?, ?, ?) ON CONFLICT (log_partition) DO UPDATE SET"
                  + " min_offset = GREATEST(log_horizon.min_offset, EXCLUDED.min_offset),"
                  + " horizon_time = GREATEST(log_horizon.horizon_time, EXCLUDED.horizon_time),"
                  + " compacted_at = EXCLUDED.compacted_at")) {
        ps.setInt(1, p);
        ps.setLong(2, maxRemoved + 1);
        ps.setTimestamp(3, Timestamp.from(cutoff));
        ps.setTimestamp(4, Timestamp.from(now));
        ps.executeUpdate();
        raised = 1;
      }
    }
    return new long[] {sup[0], tomb[0], raised};
  }

  private static long[] removeAndMax(Connection c, String sql, int p, Instant cutoff)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, p);
      ps.setTimestamp(2, Timestamp.from(cutoff));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long count = rs.getLong(1);
        long max = rs.getLong(2);
        return new long[] {count, rs.wasNull() ? -1 : max};
      }
    }
  }

  /** Removes receipts created before {@code before}; returns how many. */
  public static long deleteReceipts(Connection c, Instant before) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM mutation_outcomes WHERE created_at < ?")) {
      ps.setTimestamp(1, Timestamp.from(before));
      return ps.executeUpdate();
    }
  }
}
