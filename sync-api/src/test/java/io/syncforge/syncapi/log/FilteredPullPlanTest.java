package io.syncforge.syncapi.log;

import static io.syncforge.syncapi.TestSupport.as;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.TestSupport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 6: a collection-filtered pull reads through the (tenant, collection, partition,
 * offset) index instead of filtering the tenant's rows one by one. Prints the plan.
 */
@QuarkusTest
@WithDevInfra
class FilteredPullPlanTest {

  /** Any partition: the rows are never committed. */
  private static final int P = 11;

  @Test
  void aFilteredPullUsesTheCollectionIndex() throws Exception {
    String tenant = TestSupport.tenant("plan");
    long start;
    try (Connection c = TestSupport.superuser()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT COALESCE(MAX(log_offset) + 1, 0) FROM change_log WHERE log_partition = "
                      + P)) {
        rs.next();
        start = rs.getLong(1) + 10_000_000; // clear of the writer's next offsets
      }
      try (PreparedStatement log =
          c.prepareStatement(
              "INSERT INTO change_log (log_partition, log_offset, tenant, collection, record_id,"
                  + " version, op, data, deleted, mutation_id, client_id, server_time)"
                  + " VALUES (?, ?, ?, ?, ?, 1, 'upsert', '{}'::jsonb, false, ?, 'plan', ?)")) {
        Timestamp now = Timestamp.from(Instant.now());
        for (int i = 0; i < 20_000; i++) {
          log.setInt(1, P);
          log.setLong(2, start + i);
          log.setString(3, tenant);
          log.setString(4, i % 1000 == 0 ? "notes" : "tasks");
          log.setString(5, "r-" + i);
          log.setObject(6, UUID.randomUUID());
          log.setTimestamp(7, now);
          log.addBatch();
        }
        log.executeBatch();
      }
      // All in one transaction that is rolled back: no other test ever sees these rows (ANALYZE
      // and EXPLAIN inside it see them).
      try (Statement s = c.createStatement()) {
        s.execute("ANALYZE change_log");
      }
      StringBuilder plan = new StringBuilder();
      try (PreparedStatement explain =
          c.prepareStatement(
              "EXPLAIN SELECT log_offset, collection, record_id, version, deleted, data,"
                  + " server_time FROM change_log WHERE tenant = ? AND log_partition = ?"
                  + " AND log_offset >= ? AND log_offset < ? AND collection = ANY(?)"
                  + " ORDER BY log_offset LIMIT ?")) {
        explain.setString(1, tenant);
        explain.setInt(2, P);
        explain.setLong(3, start);
        explain.setLong(4, start + 20_000);
        explain.setArray(5, c.createArrayOf("text", new String[] {"notes"}));
        explain.setInt(6, 501);
        try (ResultSet rs = explain.executeQuery()) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
      }
      System.out.println("EXPLAIN of a notes-only pull:\n" + plan);
      assertTrue(
          plan.toString().contains("change_log_tenant_collection_position"),
          "the filtered pull does not use the collection index:\n" + plan);
      c.rollback();
    }
    // And the API still answers a filtered pull (the cursor never saw those rows: empty).
    as(tenant).queryParam("collections", "notes").get("/v1/sync/pull").then().statusCode(200);
  }
}
