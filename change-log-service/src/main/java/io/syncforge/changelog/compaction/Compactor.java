package io.syncforge.changelog.compaction;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.syncforge.changelog.config.ChangeLogConfig;
import io.syncforge.changelog.store.LogCompaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
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
      return LogCompaction.compactPartition(c, p, cutoff, now);
    }
  }

  private long deleteReceipts(Instant before) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return LogCompaction.deleteReceipts(c, before);
    }
  }
}
