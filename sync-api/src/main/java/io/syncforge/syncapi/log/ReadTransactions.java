package io.syncforge.syncapi.log;

import io.agroal.api.AgroalDataSource;
import io.syncforge.service.ProblemException;
import io.syncforge.service.SqlFaults;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.jboss.logging.Logger;

/**
 * Runs read-only work in one REPEATABLE READ transaction: every statement of a pull sees the same
 * snapshot, which is what makes "partition position + entries below it" consistent. A transient
 * database failure becomes 503 {@code unavailable}, any other a logged 500 (see {@link #fault}).
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
      throw fault(e);
    }
  }

  /**
   * The answer to a database failure: transient ones (connection lost or refused, server shutting
   * down, statement timeout, pool exhausted) are {@code 503} with {@code Retry-After}; anything
   * else (a missing grant or table, a bug) is logged with a trace id and answered {@code 500}
   * without the database's words.
   */
  public static RuntimeException fault(SQLException e) {
    if (SqlFaults.isTransient(e)) {
      LOG.warnf("database unavailable (SQLState %s): %s", e.getSQLState(), e.getMessage());
      return ProblemException.unavailable("the database is unavailable", RETRY_AFTER_SECONDS);
    }
    // The one problem mapper logs it with the trace id it answers (500 internal, no details).
    return new IllegalStateException("database read failed, SQLState " + e.getSQLState(), e);
  }

  /**
   * Runs {@code work} on {@code c} in one read-only repeatable-read transaction. The isolation and
   * read-only mode are set for this transaction only, by its first statement (sent together with
   * the driver's BEGIN): {@code Connection.setTransactionIsolation} would cost the driver a {@code
   * SHOW} and two {@code SET SESSION} round trips per read, about as many as a woken pull's
   * queries.
   */
  public static <T> T inSnapshot(Connection c, Work<T> work) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    try {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      }
      T result = work.run(c);
      c.commit();
      return result;
    } finally {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
      c.setAutoCommit(autoCommit);
    }
  }
}
