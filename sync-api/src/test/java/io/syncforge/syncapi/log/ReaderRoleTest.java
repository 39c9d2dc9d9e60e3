package io.syncforge.syncapi.log;

import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.changelog.store.LogReader;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.SnapshotPage;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.syncapi.TestSupport;
import io.syncforge.syncapi.pull.PullReader;
import io.syncforge.syncapi.snapshot.SnapshotReader;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Production connects as a LOGIN role in the NOLOGIN role sync_reader that the migrations create:
 * every statement sync-api runs works with its grants, and it cannot write.
 */
@QuarkusTest
@WithDevInfra
class ReaderRoleTest {

  @Inject CursorCodec codec;

  @Test
  void everyQueryWorksAsTheReaderRoleWhichCannotWrite() throws Exception {
    String tenant = TestSupport.tenant("role");
    UUID id = UUID.randomUUID();
    pushUntilFinal(tenant, push("dev-1", mutation(id, "tasks", "t-1", "upsert", "{\"a\":1}")));
    try (Connection su = TestSupport.superuser();
        Statement s = su.createStatement()) {
      s.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sync_api_test')"
              + " THEN CREATE ROLE sync_api_test LOGIN PASSWORD 'test' IN ROLE sync_reader;"
              + " END IF; END $$");
    }
    try (Connection c =
        DriverManager.getConnection(
            io.syncforge.devinfra.quarkus.PostgresTestResource.jdbcUrl(),
            "sync_api_test",
            "test")) {
      PullResponse pulled =
          ReadTransactions.inSnapshot(
                  c,
                  conn ->
                      PullReader.read(
                          conn,
                          codec,
                          12,
                          new PullReader.Request(tenant, null, null, 100, "dev-1")))
              .response();
      assertEquals(1, pulled.changes().size());
      assertEquals(1, pulled.receipts().size());
      SnapshotPage page =
          ReadTransactions.inSnapshot(
              c, conn -> SnapshotReader.read(conn, codec, 12, tenant, List.of("tasks"), 10, null));
      assertEquals(1, page.records().size());
      assertEquals(
          Set.of(id),
          ReadTransactions.inSnapshot(
                  c, conn -> LogReader.outcomes(conn, tenant, "dev-1", Set.of(id)))
              .keySet());
      SQLException denied =
          assertThrows(
              SQLException.class,
              () -> {
                try (Statement s = c.createStatement()) {
                  s.executeUpdate("DELETE FROM change_log WHERE tenant = '" + tenant + "'");
                }
              });
      assertEquals("42501", denied.getSQLState(), denied.getMessage());
      assertThrows(
          SQLException.class,
          () -> {
            try (Statement s = c.createStatement()) {
              s.executeUpdate("UPDATE partition_positions SET next_offset = 0");
            }
          });
      assertTrue(c.getAutoCommit());
    }
  }
}
