package io.syncforge.devinfra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class PostgresLauncherTest {

  @Test
  void sqlRoundTripOnARealServer() throws Exception {
    try (RunningPostgres pg =
        PostgresLauncher.builder().dataDir(Path.of("target", "test-pg-roundtrip")).start()) {
      String url = pg.createDatabase("roundtrip");
      // Idempotent: a second call finds the database.
      assertEquals(url, pg.createDatabase("roundtrip"));
      try (Connection c = DriverManager.getConnection(url, pg.superuser(), "");
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (id bigint PRIMARY KEY, doc jsonb NOT NULL)");
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?::jsonb)")) {
          for (int i = 1; i <= 3; i++) {
            ps.setLong(1, i);
            ps.setString(2, "{\"n\": " + i + "}");
            ps.addBatch();
          }
          ps.executeBatch();
        }
        ResultSet rs = s.executeQuery("SELECT sum((doc->>'n')::int), version() FROM t");
        rs.next();
        assertEquals(6, rs.getInt(1));
        org.junit.jupiter.api.Assertions.assertTrue(
            rs.getString(2).startsWith("PostgreSQL 17"), rs.getString(2));
      }
    }
  }

  @Test
  void refusesAnInvalidDatabaseName() {
    try (RunningPostgres pg =
        PostgresLauncher.builder().dataDir(Path.of("target", "test-pg-badname")).start()) {
      assertThrows(IllegalArgumentException.class, () -> pg.createDatabase("x; DROP"));
    }
  }

  /** The outage a fault campaign needs: stopped, refusing connections, back with its data. */
  @Test
  void stoppedAndStartedAgainOnTheSamePortWithItsData() throws Exception {
    try (RunningPostgres pg =
        PostgresLauncher.builder().dataDir(Path.of("target", "test-pg-restart")).start()) {
      String url = pg.createDatabase("restart");
      try (Connection c = DriverManager.getConnection(url, pg.superuser(), "");
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE kept (n int)");
        s.execute("INSERT INTO kept VALUES (42)");
      }
      long before = pg.pid();
      pg.stop();
      assertThrows(
          java.sql.SQLException.class, () -> DriverManager.getConnection(url, pg.superuser(), ""));
      pg.startAgain();
      org.junit.jupiter.api.Assertions.assertNotEquals(before, pg.pid());
      try (Connection c = DriverManager.getConnection(url, pg.superuser(), "");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT n FROM kept")) {
        rs.next();
        assertEquals(42, rs.getInt(1));
      }
      pg.restart(java.time.Duration.ofMillis(200));
      try (Connection c = DriverManager.getConnection(url, pg.superuser(), "")) {
        assertEquals(true, c.isValid(5));
      }
    }
  }

  @Test
  void readsThePostmastersCommandLine() {
    assertEquals(
        java.util.List.of("/x/bin/postgres", "-D", "/data dir", "-p", "5432", "-c", "a=b"),
        RunningPostgres.commandLine(
            "/x/bin/postgres \"-D\" \"/data dir\" \"-p\" \"5432\" \"-c\" \"a=b\""));
  }
}
