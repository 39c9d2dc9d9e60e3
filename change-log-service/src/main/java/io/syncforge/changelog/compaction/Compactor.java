package io.syncforge.changelog.compaction;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.syncforge.changelog.config.ChangeLogConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Compaction and retention. Per partition, in its own transaction: removes change-log entries older
 * than the retention that a later entry of the same record supersedes, and tombstones older than
 * the retention (with their {@code records} row); then raises that partition's {@code log_horizon}
 * past the highest offset removed, so a cursor from before it gets {@code 410 cursor_expired}
 * instead of silently missing a delete. Receipts older than their own (longer) retention are
 * removed too. Runs on a schedule and on {@code POST /v1/admin/compact}; instances never compact
 * the same partition at once (advisory lock).
 */
@ApplicationScoped
public class Compactor {

  private static final Logger LOG = Logger.getLogger(Compactor.class);
  private static final long LOCK_NAMESPACE = 0x5f_c0_4d_00L;

  private final DataSource dataSource;
  private final ChangeLogConfig config;

  Compactor(DataSource dataSource, ChangeLogConfig config) {
    this.dataSource = dataSource;
    this.config = config;
  }

  /** What one run removed. */
  public record Result(long superseded, long tombstones, long receipts, int partitionsRaised) {}

  @Scheduled(
      every = "${sync.changelog.compaction-every:1h}",
      delayed = "${sync.changelog.compaction-delay:5m}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void scheduled() {
    compact(Instant.now(), config.retention(), config.receiptRetention());
  }

  /** Runs compaction with the configured retentions. */
  public Result compactNow() {
    return compact(Instant.now(), config.retention(), config.receiptRetention());
  }

  /** Runs compaction as of {@code now} with the given retentions. */
  public Result compact(Instant now, Duration retention, Duration receiptRetention) {
    Instant cutoff = now.minus(retention);
    long superseded = 0;
    long tombstones = 0;
    int raised = 0;
    for (int p = 0; p < config.partitions(); p++) {
      int partition = p;
      long[] r =
          QuarkusTransaction.requiringNew().call(() -> compactPartition(partition, cutoff, now));
      superseded += r[0];
      tombstones += r[1];
      raised += (int) r[2];
    }
    long receipts =
        QuarkusTransaction.requiringNew().call(() -> deleteReceipts(now.minus(receiptRetention)));
    Result result = new Result(superseded, tombstones, receipts, raised);
    if (superseded + tombstones + receipts > 0) {
      LOG.infof("compaction removed %s", result);
    }
    return result;
  }

  private long[] compactPartition(int p, Instant cutoff, Instant now) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
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
                  + " AND c.server_time < ? AND EXISTS (SELECT 1 FROM change_log n"
                  + " WHERE n.tenant = c.tenant AND n.collection = c.collection"
                  + " AND n.record_id = c.record_id AND n.log_partition = c.log_partition"
                  + " AND n.log_offset > c.log_offset) RETURNING c.log_offset)"
                  + " SELECT count(*), max(log_offset) FROM removed",
              p,
              cutoff);
      long[] tomb =
          removeAndMax(
              c,
              "WITH removed AS (DELETE FROM change_log c WHERE c.log_partition = ? AND c.deleted"
                  + " AND c.server_time < ? AND NOT EXISTS (SELECT 1 FROM change_log n"
                  + " WHERE n.tenant = c.tenant AND n.collection = c.collection"
                  + " AND n.record_id = c.record_id AND n.log_partition = c.log_partition"
                  + " AND n.log_offset > c.log_offset)"
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

  private long deleteReceipts(Instant before) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("DELETE FROM mutation_outcomes WHERE created_at < ?")) {
      ps.setTimestamp(1, Timestamp.from(before));
      return ps.executeUpdate();
    }
  }
}
