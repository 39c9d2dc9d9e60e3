package io.syncforge.client.internal;

import java.nio.file.Path;
import java.util.List;

/**
 * The storage seam: the few SQL operations the local store needs, so another SQLite binding (e.g.
 * Android's {@code android.database.sqlite}) can be plugged in beside the xerial JDBC one ({@link
 * JdbcSqlDriver}). Statements use {@code ?} parameters bound from {@code String}, {@code Long},
 * {@code Integer}, {@code Boolean} (0/1) or {@code null}; rows are read by column index (0-based).
 */
public interface SqlDriver {

  /** Opens (creating if needed) the database file; {@code readOnly} = a query-only reader. */
  Connection open(Path file, boolean readOnly);

  /** One connection. Not thread-safe: callers serialize its use. */
  interface Connection extends AutoCloseable {
    /** Runs a statement without parameters or results (DDL, {@code PRAGMA ... = ...}). */
    void execute(String sql);

    /** Runs an INSERT/UPDATE/DELETE; returns the rows changed. */
    int update(String sql, Object... args);

    /** Runs a query; maps every row. */
    <T> List<T> query(String sql, RowMapper<T> mapper, Object... args);

    /** Starts a transaction (until {@link #commit} or {@link #rollback}). */
    void begin();

    void commit();

    void rollback();

    @Override
    void close();
  }

  /** One result row, read by 0-based column index. */
  interface Row {
    String text(int column);

    /** The integer value, or null for SQL NULL. */
    Long integer(int column);

    default long longValue(int column) {
      Long v = integer(column);
      return v == null ? 0 : v;
    }

    default boolean bool(int column) {
      return longValue(column) != 0;
    }
  }

  /** Maps one row. */
  @FunctionalInterface
  interface RowMapper<T> {
    T map(Row row);
  }
}
