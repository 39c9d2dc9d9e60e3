package io.syncforge.changelog.apply;

import io.syncforge.changelog.config.ChangeLogConfig;
import io.syncforge.changelog.store.LogWriter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Keeps the {@code log_epoch} row true: created with epoch 1 on first start; bumped when the
 * configured partition count differs from the recorded one, because every cursor's coordinates then
 * mean something else and devices must re-snapshot ({@code 410 log_epoch_changed}).
 */
@ApplicationScoped
public class LogEpochs {

  private static final Logger LOG = Logger.getLogger(LogEpochs.class);

  private final DataSource dataSource;
  private final ChangeLogConfig config;

  LogEpochs(DataSource dataSource, ChangeLogConfig config) {
    this.dataSource = dataSource;
    this.config = config;
  }

  /**
   * Records the configured partition count.
   *
   * @return the current epoch
   */
  @Transactional
  public long ensure() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      LogWriter.Epoch e = LogWriter.recordPartitions(c, config.partitions());
      if (e.previousPartitions() != config.partitions()) {
        LOG.warnf(
            "partition count changed from %d to %d: log epoch is now %d, devices will re-snapshot",
            e.previousPartitions(), config.partitions(), e.epoch());
      }
      return e.epoch();
    }
  }
}
