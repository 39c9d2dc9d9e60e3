package io.syncforge.changelog.apply;

import io.syncforge.changelog.config.ChangeLogConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
      try (PreparedStatement ins =
          c.prepareStatement(
              "INSERT INTO log_epoch (id, epoch, partitions, changed_at) VALUES (1, 1, ?, now())"
                  + " ON CONFLICT (id) DO NOTHING")) {
        ins.setInt(1, config.partitions());
        ins.executeUpdate();
      }
      long epoch;
      int partitions;
      try (PreparedStatement sel =
              c.prepareStatement(
                  "SELECT epoch, partitions FROM log_epoch WHERE id = 1 FOR UPDATE");
          ResultSet rs = sel.executeQuery()) {
        rs.next();
        epoch = rs.getLong(1);
        partitions = rs.getInt(2);
      }
      if (partitions != config.partitions()) {
        epoch++;
        LOG.warnf(
            "partition count changed from %d to %d: log epoch is now %d, devices will re-snapshot",
            partitions, config.partitions(), epoch);
        try (PreparedStatement upd =
            c.prepareStatement(
                "UPDATE log_epoch SET epoch = ?, partitions = ?, changed_at = now() WHERE id = 1")) {
          upd.setLong(1, epoch);
          upd.setInt(2, config.partitions());
          upd.executeUpdate();
        }
      }
      return epoch;
    }
  }
}
