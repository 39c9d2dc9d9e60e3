package io.syncforge.client.internal;

import java.util.List;

/** Small helpers over a {@link SqlDriver.Connection} shared by the store's tables. */
final class Sql {
  private Sql() {}

  /** A row read with 1-based column numbers (as in SQL); see {@link SqlDriver.Row}. */
  static record Rs(SqlDriver.Row row) {
    String getString(int column) {
      return row.text(column - 1);
    }

    long getLong(int column) {
      return row.longValue(column - 1);
    }

    int getInt(int column) {
      return (int) row.longValue(column - 1);
    }

    /** The integer, or null for SQL NULL. */
    Long getLongOrNull(int column) {
      return row.integer(column - 1);
    }
  }

  @FunctionalInterface
  interface RowMapper<T> {
    T map(Rs rs);
  }

  /** The first row mapped, or {@code empty}. */
  static <T> T one(
      SqlDriver.Connection conn, String sql, RowMapper<T> mapper, T empty, Object... args) {
    List<T> l = list(conn, sql, mapper, args);
    return l.isEmpty() ? empty : l.get(0);
  }

  /** Every row mapped. */
  static <T> List<T> list(
      SqlDriver.Connection conn, String sql, RowMapper<T> mapper, Object... args) {
    return conn.query(sql, row -> mapper.map(new Rs(row)), args);
  }
}
