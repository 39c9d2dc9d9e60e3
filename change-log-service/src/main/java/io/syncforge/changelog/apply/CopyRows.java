package io.syncforge.changelog.apply;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/**
 * Rows for one {@code COPY ... FROM STDIN} in PostgreSQL's text format, then sent in one round
 * trip. The append-only tables of the apply path ({@code change_log}, {@code mutation_outcomes})
 * take COPY: the server parses no statement per row, which is where batched {@code INSERT}s spent
 * most of the write phase (see the module README's apply benchmark).
 *
 * <p>Text format: columns separated by a tab, rows by a newline, {@code \N} for NULL, and a
 * backslash, tab, newline or carriage return inside a value escaped with a backslash. A value
 * PostgreSQL cannot store (a NUL character) fails the whole COPY with the server's SQLSTATE, as a
 * batched INSERT would, so the caller's poison isolation finds the row the same way.
 */
final class CopyRows {

  private final StringBuilder text = new StringBuilder(64 * 1024);
  private boolean rowStart = true;
  private int rows;

  /** Ends the current row. */
  CopyRows endRow() {
    text.append('\n');
    rowStart = true;
    rows++;
    return this;
  }

  int rows() {
    return rows;
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

  /** Sends the rows with {@code copySql} ({@code COPY table (columns) FROM STDIN}). */
  void copy(Connection c, String copySql) throws SQLException {
    if (rows == 0) {
      return;
    }
    if (text.indexOf("\u0000") >= 0) {
      // What PostgreSQL answers for a NUL in a text value: a data error, not a transient fault.
      throw new SQLException("invalid byte sequence for encoding \"UTF8\": 0x00", "22021");
    }
    try {
      c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql, new StringReader(text.toString()));
    } catch (IOException e) {
      throw new PSQLException("COPY stream failed", PSQLState.CONNECTION_FAILURE, e);
    }
  }

  private void separator() {
    if (!rowStart) {
      text.append('\t');
    }
    rowStart = false;
  }
}
