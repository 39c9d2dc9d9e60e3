package io.syncforge.changelog.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Rows for one {@code COPY ... FROM STDIN} in PostgreSQL's text format, streamed as they are
 * written. The append-only tables of the apply path ({@code change_log}, {@code mutation_outcomes})
 * take COPY: the server parses no statement per row, which is where batched {@code INSERT}s spent
 * most of the write phase (see the module README's apply benchmark).
 *
 * <p>Text format: columns separated by a tab, rows by a newline, {@code \N} for NULL, and a
 * backslash, tab, newline or carriage return inside a value escaped with a backslash. Rows go to
 * the server in chunks of about {@value #FLUSH_CHARS} characters, cut only between rows and encoded
 * to UTF-8 whole (so a surrogate pair is never split, and a batch of large records is never held
 * twice in memory). A value PostgreSQL cannot store (a NUL character) fails the COPY with the
 * server's SQLSTATE class, as a batched INSERT would, so the caller's poison isolation finds the
 * row the same way; any failure cancels the COPY, leaving the connection usable for the rollback.
 */
final class CopyRows {

  static final int FLUSH_CHARS = 256 * 1024;

  /** Writes the columns of one row. */
  @FunctionalInterface
  interface RowWriter<T> {
    void write(CopyRows copy, T row) throws SQLException;
  }

  /** COPYs {@code rows} with {@code copySql} ({@code COPY table (columns) FROM STDIN}). */
  static <T> void copy(Connection c, String copySql, Collection<T> rows, RowWriter<T> writer)
      throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    CopyRows copy = new CopyRows(c, copySql);
    try {
      for (T row : rows) {
        writer.write(copy, row);
        copy.endRow();
      }
      copy.flush();
      copy.in.endCopy();
    } catch (SQLException | RuntimeException e) {
      copy.cancel();
      throw e;
    }
  }

  private final Connection connection;
  private final String copySql;
  private final StringBuilder text = new StringBuilder(FLUSH_CHARS + 16 * 1024);
  private CopyIn in;
  private boolean rowStart = true;

  CopyRows(Connection connection, String copySql) {
    this.connection = connection;
    this.copySql = copySql;
  }

  /** Ends the current row; sends what has gathered once it is large enough. */
  CopyRows endRow() throws SQLException {
    text.append('\n');
    rowStart = true;
    if (text.length() >= FLUSH_CHARS) {
      flush();
    }
    return this;
  }

  CopyRows add(String value) {
    separator();
    if (value == null) {
      text.append("\\N");
      return this;
    }
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      switch (ch) {
        case '\\' -> text.append("\\\\");
        case '\t' -> text.append("\\t");
        case '\n' -> text.append("\\n");
        case '\r' -> text.append("\\r");
        default -> text.append(ch);
      }
    }
    return this;
  }

  CopyRows add(long value) {
    separator();
    text.append(value);
    return this;
  }

  CopyRows add(Long value) {
    return value == null ? add((String) null) : add(value.longValue());
  }

  CopyRows add(boolean value) {
    separator();
    text.append(value ? 't' : 'f');
    return this;
  }

  CopyRows add(UUID value) {
    return add(value == null ? null : value.toString());
  }

  /** A {@code timestamptz} in ISO 8601 (UTC), which PostgreSQL reads whatever the session zone. */
  CopyRows add(Instant value) {
    return add(value == null ? null : value.toString());
  }

  private void flush() throws SQLException {
    if (text.length() == 0) {
      return;
    }
    if (text.indexOf("\u0000") >= 0) {
      // What PostgreSQL answers for a NUL in a text value: a data error, not a transient fault.
      throw new SQLException("invalid byte sequence for encoding \"UTF8\": 0x00", "22021");
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    text.setLength(0);
    if (in == null) {
      in = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
    }
    in.writeToCopy(bytes, 0, bytes.length);
  }

  private void cancel() {
    if (in != null && in.isActive()) {
      try {
        in.cancelCopy();
      } catch (SQLException e) {
        // The transaction is rolled back by the caller either way; the first failure stands.
      }
    }
  }

  private void separator() {
    if (!rowStart) {
      text.append('\t');
    }
    rowStart = false;
  }
}
