package io.syncforge.client.internal;

import java.time.Clock;
import java.util.List;

/**
 * Versioned schema migrations of the local database. {@code schema_migrations} records every
 * version applied; opening a database runs the missing ones in order, each in its own transaction
 * with its version row, and refuses a database newer than this library.
 */
final class Migrations {
  private Migrations() {}

  /**
   * The migrations, applied in order; index + 1 is the schema version. APPEND ONLY: a released
   * migration is never edited (a device may hold any earlier version).
   */
  static final List<String[]> MIGRATIONS =
      List.<String[]>of(
          new String[] {
            """
            CREATE TABLE records (
              collection TEXT NOT NULL,
              id TEXT NOT NULL,
              data TEXT,
              deleted INTEGER NOT NULL DEFAULT 0,
              server_data TEXT,
              server_version INTEGER,
              server_deleted INTEGER NOT NULL DEFAULT 0,
              expect_version INTEGER,
              snap_gen INTEGER NOT NULL DEFAULT 0,
              updated_at INTEGER NOT NULL,
              PRIMARY KEY (collection, id)
            ) WITHOUT ROWID""",
            """
            CREATE TABLE pending_mutations (
              seq INTEGER PRIMARY KEY AUTOINCREMENT,
              mutation_id TEXT NOT NULL UNIQUE,
              collection TEXT NOT NULL,
              record_id TEXT NOT NULL,
              op TEXT NOT NULL,
              base_version INTEGER,
              mutation TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              attempts INTEGER NOT NULL DEFAULT 0,
              last_error TEXT,
              state TEXT NOT NULL DEFAULT 'queued'
            )""",
            "CREATE INDEX pending_by_record ON pending_mutations (collection, record_id, seq)",
            "CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value TEXT)",
            """
            CREATE TABLE media_files (
              sha256 TEXT PRIMARY KEY,
              size INTEGER,
              content_type TEXT,
              file_name TEXT,
              state TEXT NOT NULL,
              bytes_downloaded INTEGER NOT NULL DEFAULT 0,
              upload_pending INTEGER NOT NULL DEFAULT 0,
              attempts INTEGER NOT NULL DEFAULT 0,
              last_error TEXT,
              updated_at INTEGER NOT NULL
            )"""
          });

  /** The newest schema version this library knows. */
  static int latest() {
    return MIGRATIONS.size();
  }

  /** Brings the database on {@code conn} to {@link #latest()}. */
  static void migrate(SqlDriver.Connection conn, Clock clock) {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            + " applied_at INTEGER NOT NULL)");
    List<Long> found =
        conn.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", r -> r.longValue(0));
    int current = found.isEmpty() ? 0 : found.get(0).intValue();
    if (current > MIGRATIONS.size()) {
      throw new StoreException(
          "database schema version " + current + " is newer than this library knows", null);
    }
    for (int v = current + 1; v <= MIGRATIONS.size(); v++) {
      conn.begin();
      try {
        for (String sql : MIGRATIONS.get(v - 1)) {
          conn.execute(sql);
        }
        conn.update("INSERT INTO schema_migrations VALUES (?, ?)", v, clock.millis());
        conn.commit();
      } catch (RuntimeException e) {
        conn.rollback();
        throw e;
      }
    }
  }
}
