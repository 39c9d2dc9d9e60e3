package io.syncforge.client.internal;

import java.util.Optional;

/**
 * Sync metadata ({@code sync_meta}: cursor, snapshot generation and resume token, identity, last
 * success and error, client id), a key-value table. {@link LocalStore} serializes callers; a put
 * inside one of its transactions commits with it.
 */
final class MetaTable {
  private final SqlDriver.Connection conn;

  MetaTable(SqlDriver.Connection conn) {
    this.conn = conn;
  }

  Optional<String> get(String key) {
    return Optional.ofNullable(
        Sql.one(
            conn, "SELECT value FROM sync_meta WHERE key = ?", rs -> rs.getString(1), null, key));
  }

  /** Sets {@code key}; null removes it. */
  void put(String key, String value) {
    if (value == null) {
      conn.update("DELETE FROM sync_meta WHERE key = ?", key);
    } else {
      conn.update(
          "INSERT INTO sync_meta (key, value) VALUES (?, ?)"
              + " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          key,
          value);
    }
  }
}
