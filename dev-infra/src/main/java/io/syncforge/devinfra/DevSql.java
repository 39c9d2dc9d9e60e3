package io.syncforge.devinfra;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Runs SQL statements against a database, for scripts on machines without {@code psql}: {@code
 * DevSql <jdbcUrl> <user> <statement>...}. Each statement runs in its own transaction; the first
 * failure exits with status 1 and the database's message.
 */
public final class DevSql {

  private DevSql() {}

  /** Entry point; see the class comment. */
  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: DevSql <jdbcUrl> <user> <statement>...");
      System.exit(2);
    }
    try (Connection c = DriverManager.getConnection(args[0], args[1], "");
        Statement s = c.createStatement()) {
      for (int i = 2; i < args.length; i++) {
        s.execute(args[i]);
      }
    } catch (SQLException e) {
      System.err.println("DevSql: " + e.getMessage());
      System.exit(1);
    }
  }
}
