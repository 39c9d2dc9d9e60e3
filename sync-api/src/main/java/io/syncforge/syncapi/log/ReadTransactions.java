package io.syncforge.syncapi.log;

import io.agroal.api.AgroalDataSource;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import org.jboss.logging.Logger;

/**
 * Runs read-only work in one REPEATABLE READ transaction: every statement of a pull sees the same
 * snapshot, which is what makes "partition position + entries below it" consistent. A database
 * failure becomes 503 {@code unavailable}.
 */
@ApplicationScoped
public class ReadTransactions {

  /** Work on a connection inside the transaction. */
  @FunctionalInterface
  public interface Work<T> {
    /** Runs the work. */
    T run(Connection c) throws SQLException;
  }

  private static final Logger LOG = Logger.getLogger(ReadTransactions.class);
  private static final int RETRY_AFTER_SECONDS = 2;

  private final AgroalDataSource dataSource;

  ReadTransactions(AgroalDataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Runs {@code work} in one read-only repeatable-read transaction. */
  public <T> T read(Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      return inSnapshot(c, work);
    } catch (SQLException e) {
      LOG.warnf("database read failed: %s", e.getMessage());
      throw ProblemException.unavailable("the database is unavailable", RETRY_AFTER_SECONDS);
    }
  }

  /** Runs {@code work} on {@code c} in one read-only repeatable-read transaction. */
  public static <T> T inSnapshot(Connection c, Work<T> work) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    int isolation = c.getTransactionIsolation();
    try {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      T result = work.run(c);
      c.commit();
      return result;
    } finally {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
      c.setReadOnly(false);
      c.setTransactionIsolation(isolation);
      c.setAutoCommit(autoCommit);
    }
  }
}
