package io.syncforge.changelog.it;

import static io.syncforge.changelog.LogFixture.envelope;
import static io.syncforge.changelog.LogFixture.mutation;

import io.syncforge.changelog.LogFixture;
import io.syncforge.devinfra.DevJwt;
import io.syncforge.devinfra.KafkaLauncher;
import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.PostgresLauncher;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import io.syncforge.devinfra.QuarkusAppProcess;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Throughput of the whole apply path: 100,000 mutations produced to the real {@code sync.mutations}
 * topic, applied by the packaged service into the real PostgreSQL, on this machine (which also
 * hosts Kafka and PostgreSQL). Prints mutations/s, apply latency p50/p99, and the ceiling measured
 * in the same run: plain 500-row batched jsonb upserts, divided by the three rows each mutation
 * writes. Then the writer's own capacity: a backlog produced while no writer runs, drained by a
 * fresh instance (the first figure includes the benchmark's producer on the same cores). Not part
 * of the default build: {@code ./mvnw -pl change-log-service verify -Pbench}. It prints numbers and
 * asserts nothing about speed.
 */
class ApplyBenchmark {

  private static final int MUTATIONS = Integer.getInteger("bench.mutations", 100_000);
  private static final int WARMUP = Integer.getInteger("bench.warmup", 30_000);
  private static final String PAYLOAD = "x".repeat(200);

  /**
   * Positions move in the same transaction as the data: their sum is a cheap progress probe
   * (counting receipts every few ms competed with the writer for PostgreSQL: a growing count(*)).
   */
  private static final String POSITIONS =
      "SELECT coalesce(sum(next_offset), 0) FROM partition_positions";

  /**
   * Writer settings to compare, e.g. {@code -Dbench.writer.max-poll-records=1000} for {@code
   * sync.changelog.max-poll-records=1000}.
   */
  private static Map<String, String> writerOverrides() {
    Map<String, String> extra = new java.util.TreeMap<>();
    System.getProperties()
        .stringPropertyNames()
        .forEach(
            k -> {
              if (k.startsWith("bench.writer.")) {
                extra.put(
                    "sync.changelog." + k.substring("bench.writer.".length()),
                    System.getProperty(k));
              }
            });
    if (!extra.isEmpty()) {
      System.out.println("[ApplyBenchmark] writer settings: " + extra);
    }
    return extra;
  }

  /**
   * Waits until {@code n} more records than {@code base} have been applied; fails after 10 min (a
   * rate over a partial run would be a wrong number).
   */
  private static void awaitPositions(LogFixture log, long base, long n) throws Exception {
    try (Connection probe = log.connect();
        PreparedStatement positions = probe.prepareStatement(POSITIONS)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (System.nanoTime() < deadline) {
        try (java.sql.ResultSet rs = positions.executeQuery()) {
          rs.next();
          if (rs.getLong(1) - base >= n) {
            return;
          }
        }
        LogFixture.sleep(5);
      }
    }
    throw new AssertionError(n + " mutations not applied within 10 min");
  }

  @Test
  void applyThroughput() throws Exception {
    try (RunningPostgres pg =
            PostgresLauncher.builder().dataDir(Path.of("target", "bench", "postgres")).start();
        RunningKafka kafka =
            KafkaLauncher.builder().dataDir(Path.of("target", "bench", "kafka")).start()) {
      String jdbc = pg.createDatabase("sync");
      kafka.createTopics(Topics.layout(Topics.DEFAULT_PARTITIONS));
      String loadBefore = loadAverage();
      double ceilingRows = measureCeiling(pg.createDatabase("ceiling"));

      DevJwt jwt = DevJwt.inDirectory(Path.of("target", "bench", "jwt"));
      Map<String, String> config =
          LogFixture.writerConfig(jdbc, kafka.bootstrapServers(), jwt, writerOverrides());
      try (LogFixture log = new LogFixture(kafka.bootstrapServers(), jdbc);
          QuarkusAppProcess service = LogFixture.startWriter("bench", config)) {
        // Warm-up: a fresh JVM spends its first seconds compiling the apply path (C2 alone took
        // 2.6 to 5 of the 2 cores' seconds in an 8 s window of a cold drain), which is not the
        // writer's throughput. The figure below is the steady state; the drain further down
        // stays a cold start.
        List<MutationEnvelope> warm = stream("t-warm", WARMUP);
        long w0 = System.nanoTime();
        for (int i = 0; i < warm.size(); i += 5000) {
          log.send(warm.subList(i, Math.min(warm.size(), i + 5000)));
        }
        awaitPositions(log, 0, WARMUP);
        double warmSeconds = (System.nanoTime() - w0) / 1e9;
        System.out.printf(
            "%n[ApplyBenchmark] warm-up (cold JVM): %d mutations in %.1f s: %.0f mutations/s%n",
            WARMUP, warmSeconds, WARMUP / warmSeconds);
        long base = log.count(POSITIONS);
        List<MutationEnvelope> stream = stream("t-bench", MUTATIONS);
        long t0 = System.nanoTime();
        for (int i = 0; i < stream.size(); i += 5000) {
          log.send(stream.subList(i, Math.min(stream.size(), i + 5000)));
        }
        long produced = System.nanoTime();
        awaitPositions(log, base, MUTATIONS);
        long t1 = System.nanoTime();
        long done = log.count("SELECT count(*) FROM mutation_outcomes WHERE tenant = 't-bench'");
        double seconds = (t1 - t0) / 1e9;
        double rate = done / seconds;
        String metrics = scrape(service);
        double ceiling = ceilingRows / 3;
        System.out.printf(
            "%n[ApplyBenchmark] %d mutations applied in %.1f s (produce took %.1f s): %.0f mutations/s%n"
                + "[ApplyBenchmark] apply latency (received -> committed): p50 %s s, p99 %s s%n"
                + "[ApplyBenchmark] ceiling in this run: %.0f rows/s of 500-row batched jsonb upserts / 3 rows"
                + " per mutation = %.0f mutations/s; achieved %.0f%% of it%n"
                + "[ApplyBenchmark] machine: %d cores, max heap of the service 384 MiB; Kafka and PostgreSQL on"
                + " the same machine%n",
            done,
            seconds,
            (produced - t0) / 1e9,
            rate,
            quantile(metrics, "0.5"),
            quantile(metrics, "0.99"),
            ceilingRows,
            ceiling,
            100 * rate / ceiling,
            Runtime.getRuntime().availableProcessors());
        System.out.printf(
            "[ApplyBenchmark] batches: %.0f, mean size %.1f, mean apply+commit %.1f ms%n",
            value(metrics, "sync_apply_batch_size_count"),
            value(metrics, "sync_apply_batch_size_sum")
                / value(metrics, "sync_apply_batch_size_count"),
            1000
                * value(metrics, "sync_apply_batch_duration_seconds_sum")
                / value(metrics, "sync_apply_batch_duration_seconds_count"));
        System.out.printf(
            "[ApplyBenchmark] load average (1/5/15 min): %s at start, %s at the end%n",
            loadBefore, loadAverage());
        for (String line : metrics.split("\n")) {
          if (line.startsWith("sync_apply_phase_seconds_sum")) {
            System.out.println("[ApplyBenchmark] " + line);
          }
        }
        service.close();
      }
      drain(jdbc, kafka, config);
      System.out.printf("[ApplyBenchmark] load average at the very end: %s%n", loadAverage());
    }
  }

  /**
   * The writer's own capacity, without the benchmark's producer competing for the same two cores: a
   * backlog of {@code MUTATIONS} produced while no writer runs, then drained by a fresh instance,
   * timed from its first commit seen to its last (positions polled every 5 ms).
   */
  private static void drain(String jdbc, RunningKafka kafka, Map<String, String> config)
      throws Exception {
    try (LogFixture log = new LogFixture(kafka.bootstrapServers(), jdbc)) {
      List<MutationEnvelope> stream = stream("t-drain", MUTATIONS);
      for (int i = 0; i < stream.size(); i += 5000) {
        log.send(stream.subList(i, Math.min(stream.size(), i + 5000)));
      }
      long base = log.count(POSITIONS);
      try (Connection probe = log.connect();
          PreparedStatement positions = probe.prepareStatement(POSITIONS);
          QuarkusAppProcess service = LogFixture.startWriter("bench-drain", config)) {
        long first = 0;
        long firstAt = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        long seen = 0;
        while (seen < MUTATIONS && System.nanoTime() < deadline) {
          try (java.sql.ResultSet rs = positions.executeQuery()) {
            rs.next();
            seen = rs.getLong(1) - base;
          }
          if (firstAt == 0 && seen > 0) {
            firstAt = System.nanoTime();
            first = seen;
          }
          if (seen < MUTATIONS) {
            LogFixture.sleep(5);
          }
        }
        long lastAt = System.nanoTime();
        double seconds = (lastAt - firstAt) / 1e9;
        System.out.printf(
            "[ApplyBenchmark] backlog drain: %d mutations queued with no writer running, then %d"
                + " applied in %.1f s after the first commit: %.0f mutations/s%n",
            MUTATIONS, seen - first, seconds, (seen - first) / seconds);
      }
    }
  }

  /**
   * Half creates, half patches of those records: every mutation writes a record, a log entry and a
   * receipt.
   */
  private static List<MutationEnvelope> stream(String tenant, int mutations) {
    int records = mutations / 2;
    List<MutationEnvelope> stream = new ArrayList<>(mutations);
    for (int k = 0; k < 2; k++) {
      for (int r = 0; r < records; r++) {
        String data = "{\"seq\":" + k + ",\"payload\":\"" + PAYLOAD + "\"}";
        stream.add(
            envelope(
                tenant,
                "device-" + (r % 50),
                mutation(
                    UUID.randomUUID(),
                    "items",
                    "r" + r,
                    k == 0 ? Op.UPSERT : Op.PATCH,
                    k == 0 ? null : 1L,
                    data)));
      }
    }
    return stream;
  }

  /** Plain batched upserts of ~300-byte jsonb rows: what PostgreSQL alone manages here. */
  private static double measureCeiling(String jdbc) throws Exception {
    int rows = 60_000;
    try (Connection c =
        java.sql.DriverManager.getConnection(
            jdbc + "?reWriteBatchedInserts=true", "postgres", "")) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE bench_ceiling (k text PRIMARY KEY, v bigint, data jsonb)");
      }
      c.setAutoCommit(false);
      long t0 = System.nanoTime();
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO bench_ceiling VALUES (?, ?, ?::jsonb) ON CONFLICT (k) DO UPDATE"
                  + " SET v = EXCLUDED.v, data = EXCLUDED.data")) {
        for (int i = 0; i < rows; i++) {
          ps.setString(1, "k" + (i % (rows / 2)));
          ps.setLong(2, i);
          ps.setString(3, "{\"seq\":" + i + ",\"payload\":\"" + PAYLOAD + "\"}");
          ps.addBatch();
          if ((i + 1) % 500 == 0) {
            ps.executeBatch();
            c.commit();
          }
        }
      }
      return rows / ((System.nanoTime() - t0) / 1e9);
    }
  }

  /** The machine's load average, the context every number here needs on a shared machine. */
  private static String loadAverage() {
    try {
      String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + "/" + f[1] + "/" + f[2];
    } catch (Exception e) {
      return "n/a";
    }
  }

  private static String scrape(QuarkusAppProcess service) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://localhost:" + service.port() + "/q/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return r.body();
  }

  private static double value(String metrics, String name) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  private static String quantile(String metrics, String q) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith("sync_apply_latency_seconds{")
          && line.contains("quantile=\"" + q + "\"")) {
        return line.substring(line.lastIndexOf(' ') + 1);
      }
    }
    return "n/a";
  }
}
