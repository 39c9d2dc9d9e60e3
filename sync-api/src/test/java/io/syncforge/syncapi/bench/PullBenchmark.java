package io.syncforge.syncapi.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Json;
import io.syncforge.syncapi.TestSupport;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Item 9 of the issue, not a timed test: run with {@code ./mvnw -B -pl sync-api verify -Pbench}
 * (only this class runs). Fills the log directly in PostgreSQL (the writer's job) with 100,000
 * records of about 300 bytes for one tenant across 12 partitions, pulls them page by page over HTTP
 * like a device, and prints records/s and bytes; then compares a delta of 100 changed records with
 * a full pull of 10,000.
 */
@QuarkusTest
@WithDevInfra
class PullBenchmark {

  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final int PARTITIONS = 12;

  @TestHTTPResource("/v1/sync/pull")
  URI pullUri;

  private final HttpClient http = HttpClient.newHttpClient();
  private final long[] next = new long[PARTITIONS];

  @Test
  void pullThroughput() throws Exception {
    String big = TestSupport.tenant("bench");
    long t0 = System.nanoTime();
    fill(big, 100_000, 1);
    System.out.printf(
        "BENCH filled 100000 records in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    for (int limit : new int[] {500, 5000}) {
      for (boolean gzip : new boolean[] {false, true}) {
        pullAll(big, limit, gzip, null, "full 100000");
      }
    }
    String small = TestSupport.tenant("delta");
    fill(small, 10_000, 1);
    Result full = pullAll(small, 5000, false, null, "full 10000");
    Result fullGz = pullAll(small, 5000, true, null, "full 10000");
    fill(small, 100, 2); // 100 of the 10,000 records change
    Result delta = pullAll(small, 5000, false, full.cursor, "delta 100 of 10000");
    Result deltaGz = pullAll(small, 5000, true, full.cursor, "delta 100 of 10000");
    System.out.printf(
        "BENCH delta/full bytes: %d / %d (%.2f%%); gzip on the wire %d / %d (%.2f%%)%n",
        delta.bytes,
        full.bytes,
        100.0 * delta.bytes / full.bytes,
        deltaGz.wireBytes,
        fullGz.wireBytes,
        100.0 * deltaGz.wireBytes / fullGz.wireBytes);
  }

  private record Result(long records, long bytes, long wireBytes, String cursor) {}

  private Result pullAll(String tenant, int limit, boolean gzip, String cursor, String label)
      throws Exception {
    String token = TestSupport.token(tenant);
    long records = 0;
    long bytes = 0;
    long wire = 0;
    int pages = 0;
    long start = System.nanoTime();
    boolean more = true;
    while (more) {
      String q =
          "?limit="
              + limit
              + (cursor == null
                  ? ""
                  : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
      HttpRequest.Builder req =
          HttpRequest.newBuilder(URI.create(pullUri + q))
              .header("Authorization", "Bearer " + token);
      if (gzip) {
        req.header("Accept-Encoding", "gzip");
      }
      HttpResponse<byte[]> r = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(r.statusCode() + " " + new String(r.body()));
      }
      byte[] body = r.body();
      wire += body.length;
      if (r.headers().firstValue("Content-Encoding").orElse("").equals("gzip")) {
        body = new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
      }
      bytes += body.length;
      JsonNode page = MAPPER.readTree(body);
      records += page.get("changes").size();
      cursor = page.get("cursor").asText();
      more = page.get("hasMore").asBoolean();
      pages++;
    }
    double s = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "BENCH %s limit=%d gzip=%s: %d records, %d pages, %.2f s, %.0f records/s, %d bytes"
            + " (%.0f B/record), %d bytes on the wire%n",
        label,
        limit,
        gzip,
        records,
        pages,
        s,
        records / s,
        bytes,
        (double) bytes / Math.max(1, records),
        wire);
    return new Result(records, bytes, wire, cursor);
  }

  /** Appends {@code count} changes (records r-0.., at {@code version}) as the writer would. */
  private void fill(String tenant, int count, long version) throws Exception {
    try (Connection c = TestSupport.superuser()) {
      c.setAutoCommit(false);
      try (PreparedStatement log =
              c.prepareStatement(
                  "INSERT INTO change_log VALUES (?, ?, ?, 'tasks', ?, ?, 'upsert', ?::jsonb, false, ?, 'bench', ?)");
          PreparedStatement pos =
              c.prepareStatement(
                  "INSERT INTO partition_positions VALUES (?, ?, now()) ON CONFLICT (log_partition)"
                      + " DO UPDATE SET next_offset = excluded.next_offset")) {
        Timestamp now = Timestamp.from(Instant.now());
        for (int i = 0; i < count; i++) {
          int p = i % PARTITIONS;
          log.setInt(1, p);
          log.setLong(2, next[p]++);
          log.setString(3, tenant);
          log.setString(4, "r-" + i);
          log.setLong(5, version);
          log.setString(6, data(i, version));
          log.setObject(7, UUID.randomUUID());
          log.setTimestamp(8, now);
          log.addBatch();
          if (i % 1000 == 999) {
            log.executeBatch();
          }
        }
        log.executeBatch();
        for (int p = 0; p < PARTITIONS; p++) {
          pos.setInt(1, p);
          pos.setLong(2, next[p]);
          pos.executeUpdate();
        }
      }
      c.commit();
      try (Statement s = c.createStatement()) {
        s.execute("ANALYZE change_log");
      }
    }
  }

  /** About 300 bytes of JSON. */
  private static String data(int i, long version) {
    return "{\"title\":\"Task number "
        + i
        + "\",\"done\":"
        + (i % 2 == 0)
        + ",\"priority\":"
        + (i % 5)
        + ",\"version\":"
        + version
        + ",\"notes\":\""
        + "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor"
        + " incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud"
        + " exercitation ullamco laboris"
        + "\",\"tags\":[\"home\",\"errand\"]}";
  }
}
