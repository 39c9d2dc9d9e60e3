package io.syncforge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The whole path, measured (not a timed test: it prints numbers). Run with {@code ./mvnw verify -pl
 * e2e-tests -am -Pbench -DskipTests=false -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false} (see
 * docs/benchmarks.md). Sizes: {@code -Dbench.records=100000}.
 */
class WholePathBenchmark {

  private static final ObjectMapper JSON = Json.newMapper();
  private static final int RECORDS = Integer.getInteger("bench.records", 100_000);
  private final LocalStack stack = Stack.get();

  @Test
  void wholePath() throws Exception {
    // Text-like payloads (seeded random words), so gzip sizes are not flattered by repetition.
    java.util.Random words = new java.util.Random(7);
    // (a) first sync of RECORDS records of about 300 bytes into an empty client database. Round 1
    // is cold (this JVM's client code and the server's snapshot path never ran); then five rounds
    // on fresh devices, each right after the raw-HTTP reference of the same pages, so client and
    // reference are measured in the same warm state. Every round is printed.
    String big = "t-bench-big";
    seed(big, RECORDS, words);
    double cold = firstSync(big, 1);

    // (a-heap) the same first sync in a JVM of its own limited to 128 MiB of heap.
    firstSyncInChildJvm(big);

    // (a') the same snapshot read over plain HTTP without a client database: the server's share.
    double raw500 = timedRawSnapshot(big, 500);
    List<Double> client = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    for (int round = 2; round <= 6; round++) {
      raw.add(timedRawSnapshot(big, 5000));
      client.add(firstSync(big, round));
    }
    Collections.sort(client);
    Collections.sort(raw);
    System.out.printf(
        "[bench] (a) first sync of %d records: cold %.2f s; rounds 2-6: median %.2f s (min %.2f,"
            + " max %.2f); raw HTTP pages of 5000 median %.2f s (min %.2f), pages of 500 %.2f s%n",
        RECORDS, cold, client.get(2), client.get(0), client.get(4), raw.get(2), raw.get(0), raw500);
    if ("a".equals(System.getProperty("bench.only"))) {
      return;
    }

    // (b) delta of 100 changed records out of 10,000 vs a full pull of the 10,000.
    String mid = "t-bench-delta";
    seed(mid, 10_000, words);
    String token = stack.token(mid, "bench");
    long[] full = pullAll(token, null);
    String cursor = lastCursor;
    List<MutationEnvelope> changes = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      changes.add(envelope(mid, Op.PATCH, "r" + (i * 97), 1L, "{\"seq\":2}"));
    }
    produce(changes);
    awaitOutcomes(mid, 10_100);
    long t0 = System.nanoTime();
    long[] delta = pullAll(token, cursor);
    double deltaMs = (System.nanoTime() - t0) / 1e6;
    System.out.printf(
        "[bench] (b) delta of %d changes: %.0f ms, %d bytes on the wire (gzip), %d bytes JSON;"
            + " full pull of 10,000: %d bytes on the wire, %d bytes JSON; delta/full = %.2f%%%n",
        delta[2], deltaMs, delta[0], delta[1], full[0], full[1], 100.0 * delta[0] / full[0]);

    // (c) 1,000 offline edits pushed until every outcome is final, 30 times on fresh devices:
    // the first in this JVM is cold (the push and settle paths were never compiled, here nor in
    // the services, which started minutes ago); rounds 6-10 are what earlier runs reported;
    // rounds 21-30 are what a long-running deployment sees (sync-api's and the writer's push
    // paths fully compiled: 20,000 mutations of warm-up, as a JMH run would do). Every round is
    // printed.
    List<Long> rounds = new ArrayList<>();
    for (int round = 0; round < 30; round++) {
      // With the client's own default page size (Device pins 500 for the tests' paging).
      try (Device d =
          new Device(
              stack,
              "t-bench-push",
              "pusher-" + round,
              stack.apiUrl(),
              b -> b.pullLimit(io.syncforge.client.SyncClient.DEFAULT_PULL_LIMIT))) {
        d.sync();
        for (int i = 0; i < 1000; i++) {
          d.client
              .collection("items")
              .put("e" + round + "-" + i, Map.of("seq", i, "payload", text(words)));
        }
        long p0 = System.nanoTime();
        d.syncUntilSettled();
        long ms = (System.nanoTime() - p0) / 1_000_000;
        rounds.add(ms);
        System.out.printf(
            "[bench] (c) 1,000 offline edits pushed, all final, round %d%s: %d ms (pending left:"
                + " %d)%n",
            round + 1, round == 0 ? " (cold)" : "", ms, d.client.status().pendingCount());
      }
    }
    System.out.printf(
        "[bench] (c) 1,000 offline edits: cold %d ms; rounds 6-10: %s; rounds 21-30: %s%n",
        rounds.get(0), medianOf(rounds.subList(5, 10)), medianOf(rounds.subList(20, 30)));

    // (d) write on one device until visible on a waiting device: p50/p99 over 200 writes.
    String live = "t-bench-live";
    String watcherToken = stack.token(live, "watcher");
    try (Device writer = new Device(stack, live, "writer")) {
      writer.sync();
      pullAll(watcherToken, null);
      String c = lastCursor;
      List<Long> ms = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        long round = System.nanoTime();
        String from = c;
        CompletableFuture<String> waiting =
            CompletableFuture.supplyAsync(() -> waitPull(watcherToken, from));
        Device.sleep(20);
        long w0 = System.nanoTime();
        writer.client.collection("items").put("w" + i, Map.of("i", i));
        writer.sync();
        c = waiting.get(30, TimeUnit.SECONDS);
        ms.add((System.nanoTime() - w0) / 1_000_000);
        // A sync is a push and a pull: at most 5 rounds a second keeps the writer under
        // sync-api's per-device rate (20 requests/s sustained), which answered 429 otherwise.
        Device.sleep(Math.max(0, 200 - (System.nanoTime() - round) / 1_000_000));
      }
      Collections.sort(ms);
      System.out.printf(
          "[bench] (d) write -> visible on a waiting device: p50 %d ms, p99 %d ms (200 writes)%n",
          ms.get(99), ms.get(197));
    }
  }

  /** "median M ms (min A, max B)" of {@code values}. */
  private static String medianOf(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return String.format(
        "median %d ms (min %d, max %d)",
        sorted.get(sorted.size() / 2), sorted.get(0), sorted.get(sorted.size() - 1));
  }

  /** One first sync on a fresh device; prints and returns its seconds. */
  private double firstSync(String tenant, int round) {
    try (Device fresh = new Device(stack, tenant, "first-sync-" + round)) {
      long t0 = System.nanoTime();
      SyncResult.Success r = fresh.sync();
      double s = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "[bench] (a) first sync, round %d%s: %d records in %.2f s = %.0f records/s (%s)%n",
          round,
          round == 1 ? " (cold)" : "",
          fresh.client.collection("items").list().size(),
          s,
          RECORDS / s,
          r);
      return s;
    }
  }

  /** The raw snapshot reference; prints and returns its seconds. */
  private double timedRawSnapshot(String tenant, int pageSize) throws Exception {
    long h0 = System.nanoTime();
    long n = rawSnapshot(stack.token(tenant, "raw"), pageSize);
    double hs = (System.nanoTime() - h0) / 1e9;
    System.out.printf(
        "[bench] (a') raw snapshot over HTTP, pages of %d: %d records in %.2f s = %.0f records/s%n",
        pageSize, n, hs, n / hs);
    return hs;
  }

  private String lastCursor;

  private void firstSyncInChildJvm(String tenant) throws Exception {
    java.nio.file.Path dir =
        java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target"), "probe-");
    Process p =
        new ProcessBuilder(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                FirstSyncProbe.class.getName(),
                stack.apiUrl(),
                stack.token(tenant, "probe"),
                dir.resolve("local.db").toAbsolutePath().toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    String line =
        out.lines().filter(l -> l.startsWith("PROBE")).findFirst().orElse("PROBE none " + out);
    String[] f = line.split(" ");
    if (code == 0 && f.length == 4) {
      System.out.printf(
          "[bench] (a-heap) first sync in a child JVM with -Xmx128m: %s records in %s ms,"
              + " peak heap (pool peaks, upper bound) %s MiB%n",
          f[1], f[2], f[3]);
    } else {
      System.out.printf(
          "[bench] (a-heap) first sync in a child JVM with -Xmx128m FAILED (exit %d): %s%n",
          code, out.length() > 2000 ? out.substring(out.length() - 2000) : out);
    }
  }

  /** Pulls until hasMore is false; returns {wire bytes, json bytes, changes}. */
  private long[] pullAll(String token, String cursor) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long wire = 0;
    long json = 0;
    long changes = 0;
    while (true) {
      String url =
          stack.apiUrl()
              + "/v1/sync/pull?limit=5000"
              + (cursor == null
                  ? ""
                  : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .header("Authorization", "Bearer " + token)
                  .header("Accept-Encoding", "gzip")
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      byte[] body = r.body();
      wire += body.length;
      byte[] plain = body;
      if ("gzip".equalsIgnoreCase(r.headers().firstValue("Content-Encoding").orElse(""))) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          in.transferTo(out);
          plain = out.toByteArray();
        }
      }
      json += plain.length;
      JsonNode page = JSON.readTree(plain);
      changes += page.get("changes").size();
      cursor = page.get("cursor").asText();
      if (!page.get("hasMore").asBoolean()) {
        lastCursor = cursor;
        return new long[] {wire, json, changes};
      }
    }
  }

  /** Reads a whole snapshot with gzip and JSON parsing but no storage; returns the record count. */
  private long rawSnapshot(String token, int pageSize) throws Exception {
    // HTTP/1.1 as sync-client's transport speaks (over h2c sync-api's HTTP layer compresses at
    // level 6 instead of the snapshot's own level 1, which made the reference slower than fair).
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String pageToken = null;
    long n = 0;
    while (true) {
      String url =
          stack.apiUrl()
              + "/v1/sync/snapshot?limit="
              + pageSize
              + (pageToken == null
                  ? ""
                  : "&pageToken=" + URLEncoder.encode(pageToken, StandardCharsets.UTF_8));
      HttpResponse<InputStream> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .header("Authorization", "Bearer " + token)
                  .header("Accept-Encoding", "gzip")
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      InputStream body = r.body();
      if ("gzip".equalsIgnoreCase(r.headers().firstValue("Content-Encoding").orElse(""))) {
        body = new GZIPInputStream(body);
      }
      JsonNode page;
      try (InputStream in = body) {
        page = JSON.readTree(in);
      }
      if (r.statusCode() == 429 || r.statusCode() == 503) {
        // Rate limit or a busy moment: wait as told and ask for the same page again.
        long wait = r.headers().firstValueAsLong("Retry-After").orElse(1);
        Thread.sleep(wait * 1000);
        continue;
      }
      if (r.statusCode() != 200 || page.get("records") == null) {
        throw new IllegalStateException("snapshot page answered " + r.statusCode() + ": " + page);
      }
      n += page.get("records").size();
      JsonNode next = page.get("nextPageToken");
      if (next == null || next.isNull()) {
        return n;
      }
      pageToken = next.asText();
    }
  }

  private String waitPull(String token, String cursor) {
    try {
      HttpResponse<byte[]> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              stack.apiUrl()
                                  + "/v1/sync/pull?wait=20&cursor="
                                  + URLEncoder.encode(cursor, StandardCharsets.UTF_8)))
                      .header("Authorization", "Bearer " + token)
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      return JSON.readTree(r.body()).get("cursor").asText();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static MutationEnvelope envelope(String tenant, Op op, String id, Long base, String data)
      throws Exception {
    Mutation m =
        new Mutation(
            UUID.randomUUID(),
            "items",
            id,
            op,
            base,
            (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(data),
            null);
    return new MutationEnvelope(
        tenant, "seed", "seeder", m, Instant.now(), MutationEnvelope.SOURCE_ADMIN);
  }

  /** Writes records straight into sync.mutations (the back-office path) and waits until applied. */
  private static final String[] VOCABULARY = vocabulary();

  private static String[] vocabulary() {
    java.util.Random r = new java.util.Random(1);
    String[] v = new String[2000];
    for (int i = 0; i < v.length; i++) {
      StringBuilder w = new StringBuilder();
      int len = 3 + r.nextInt(8);
      for (int j = 0; j < len; j++) {
        w.append((char) ('a' + r.nextInt(26)));
      }
      v[i] = w.toString();
    }
    return v;
  }

  /** About 240 characters of words. */
  private static String text(java.util.Random r) {
    StringBuilder sb = new StringBuilder();
    while (sb.length() < 240) {
      sb.append(VOCABULARY[r.nextInt(VOCABULARY.length)]).append(' ');
    }
    return sb.toString().trim();
  }

  private void seed(String tenant, int n, java.util.Random words) throws Exception {
    List<MutationEnvelope> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String data = "{\"seq\":1,\"payload\":\"" + text(words) + "\"}";
      all.add(envelope(tenant, Op.UPSERT, "r" + i, null, data));
    }
    produce(all);
    awaitOutcomes(tenant, n);
  }

  private void produce(List<MutationEnvelope> envelopes) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    try (var producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<Future<?>> acks = new ArrayList<>();
      for (MutationEnvelope e : envelopes) {
        acks.add(
            producer.send(
                new ProducerRecord<>(Topics.MUTATIONS, e.key(), JSON.writeValueAsBytes(e))));
      }
      for (Future<?> f : acks) {
        f.get();
      }
    }
  }

  private void awaitOutcomes(String tenant, long n) throws Exception {
    try (Connection c = DriverManager.getConnection(stack.jdbcUrl(), "postgres", "");
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM mutation_outcomes WHERE tenant = ?")) {
      ps.setString(1, tenant);
      for (int i = 0; i < 6000; i++) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) >= n) {
            return;
          }
        }
        Device.sleep(100);
      }
    }
    throw new IllegalStateException("seed of " + tenant + " not applied in time");
  }
}
