package io.syncforge.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.response.Response;
import io.syncforge.devinfra.LocalStack;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/** The REST Assured scenarios: push, pull (delta, filtered), snapshot paging, media. */
final class ApiLoad {

  static final String TENANT = "load-api";
  static final String MEDIA_TENANT = "load-media";
  private static final int CLIENTS = 64;
  private static final int RECORDS = 5_000;

  private final LocalStack stack;
  private final LoadProfile profile;
  private final Ledger ledger;
  private final String token;
  private final List<String> cursors = new CopyOnWriteArrayList<>();
  private final List<String> filteredCursors = new CopyOnWriteArrayList<>();

  ApiLoad(LocalStack stack, LoadProfile profile, Ledger ledger) {
    this.stack = stack;
    this.profile = profile;
    this.ledger = ledger;
    this.token = stack.token(TENANT, "loader");
  }

  /** A batch size in 1..max, most of them small (as devices send), some full. */
  static int batchSize(int max) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    int p = r.nextInt(100);
    int n = p < 60 ? 1 + r.nextInt(10) : p < 90 ? 11 + r.nextInt(90) : 101 + r.nextInt(400);
    return Math.max(1, Math.min(max, n));
  }

  /**
   * A push of {@code n} mixed mutations: upserts, patches (some of records that do not exist:
   * rejected {@code not_found}), deletes of existing records and of records that never existed.
   */
  Stats.Result push(int n) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    String clientId = "load-c" + r.nextInt(CLIENTS);
    ObjectNode body = Http.JSON.createObjectNode();
    body.put("clientId", clientId);
    ArrayNode ms = body.putArray("mutations");
    List<UUID> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      UUID id = UUID.randomUUID();
      ids.add(id);
      ObjectNode m = ms.addObject();
      m.put("mutationId", id.toString());
      m.put("collection", r.nextBoolean() ? "tasks" : "notes");
      int p = r.nextInt(100);
      String recordId = "r" + r.nextInt(RECORDS);
      if (p < 50) {
        m.put("recordId", recordId).put("op", "upsert");
        m.putObject("data").put("title", "t" + r.nextInt(1_000_000)).put("n", r.nextInt());
      } else if (p < 70) {
        m.put("recordId", recordId).put("op", "patch");
        m.putObject("data").put("done", r.nextBoolean());
      } else if (p < 85) {
        m.put("recordId", recordId).put("op", "delete");
      } else {
        m.put("recordId", "ghost-" + UUID.randomUUID()).put("op", "delete");
      }
    }
    // In the ledger before the request: a push that times out on this side may still have
    // reached the log.
    for (UUID id : ids) {
      ledger.pushed(TENANT, clientId, id, false);
    }
    Response resp =
        Http.as(token)
            .contentType("application/json")
            .body(body.toString())
            .post(stack.apiUrl() + "/v1/sync/push");
    boolean ok = resp.statusCode() == 200;
    if (ok) {
      for (UUID id : ids) {
        ledger.acknowledged(TENANT, clientId, id);
      }
    }
    if (!ok) {
      return new Stats.Result(resp.statusCode(), Http.code(resp), 0);
    }
    for (JsonNode o : Http.json(resp).path("outcomes")) {
      String key = o.path("status").asText();
      if (o.path("error").has("code")) {
        key += " " + o.path("error").path("code").asText();
      }
      mutationOutcomes.computeIfAbsent(key, k -> new LongAdder()).increment();
    }
    return Stats.Result.ok(200, n);
  }

  /** The status (and code) of every mutation in the answers of the push scenarios. */
  final Map<String, LongAdder> mutationOutcomes = new ConcurrentHashMap<>();

  /** Push at each rate of the profile (open loop), then a closed loop for saturation. */
  List<Stats> pushScenarios() {
    List<Stats> out = new ArrayList<>();
    for (double rate : profile.pushRates()) {
      Progress.phase = "push@" + (int) rate;
      Stats s =
          Runner.openLoop(
              "push open " + (int) rate + "/s",
              rate,
              profile.pushStep(),
              (long) (rate * profile.pushStep().toSeconds() * 2),
              profile.threads(),
              seq -> push(batchSize(profile.pushMaxBatch())));
      out.add(s);
    }
    Progress.phase = "push closed";
    out.add(
        Runner.closedLoop(
            "push closed x" + profile.pushClosedWorkers(),
            profile.pushClosedWorkers(),
            profile.pushStep(),
            Long.MAX_VALUE,
            seq -> push(batchSize(profile.pushMaxBatch()))));
    return out;
  }

  /**
   * Walks the tenant's log once from the start and keeps the cursors, for delta pulls; a cursor is
   * bound to its pull's filter ({@code 410 scope_changed} otherwise), so filtered pulls get their
   * own walk.
   */
  void collectCursors(List<String> cursors, String collections) {
    String cursor = null;
    int retries = 0;
    for (int i = 0; i < 10_000 && cursors.size() < 500; i++) {
      var req = Http.as(token).queryParam("limit", 200);
      if (collections != null) {
        req = req.queryParam("collections", collections);
      }
      if (cursor != null) {
        req = req.queryParam("cursor", cursor);
      }
      Response resp = req.get(stack.apiUrl() + "/v1/sync/pull");
      if ((resp.statusCode() == 429 || resp.statusCode() == 503) && retries++ < 60) {
        // The walk is one device pulling as fast as it can: its rate limit answers 429.
        sleepRetryAfter(resp);
        i--;
        continue;
      }
      if (resp.statusCode() != 200) {
        throw new IllegalStateException("pull for cursors: " + resp.statusCode() + resp.asString());
      }
      JsonNode n = Http.json(resp);
      cursor = n.path("cursor").asText();
      cursors.add(cursor);
      if (!n.path("hasMore").asBoolean()) {
        break;
      }
    }
  }

  private static void sleepRetryAfter(Response resp) {
    String after = resp.header("Retry-After");
    long seconds = 1;
    try {
      seconds = after == null ? 1 : Math.max(1, Math.min(10, Long.parseLong(after.trim())));
    } catch (NumberFormatException e) {
      // an HTTP date: wait the default second
    }
    try {
      Thread.sleep(seconds * 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting out a 429/503", e);
    }
  }

  Stats.Result pull(String collections) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    var req =
        Http.as(token)
            .header("X-Client-Id", "load-c" + r.nextInt(CLIENTS))
            .queryParam("limit", 100);
    List<String> from = collections == null ? cursors : filteredCursors;
    req = req.queryParam("cursor", from.get(r.nextInt(from.size())));
    if (collections != null) {
      req = req.queryParam("collections", collections);
    }
    Response resp = req.get(stack.apiUrl() + "/v1/sync/pull");
    if (resp.statusCode() != 200) {
      return new Stats.Result(resp.statusCode(), Http.code(resp), 0);
    }
    return Stats.Result.ok(200, Http.json(resp).path("changes").size());
  }

  private final AtomicReferenceArray<String> pageTokens = new AtomicReferenceArray<>(8);

  Stats.Result snapshotPage(long seq) {
    int slot = (int) (seq % pageTokens.length());
    String pt = pageTokens.get(slot);
    var req = Http.as(token).queryParam("limit", 200);
    if (pt != null) {
      req = req.queryParam("pageToken", pt);
    }
    Response resp = req.get(stack.apiUrl() + "/v1/sync/snapshot");
    if (resp.statusCode() != 200) {
      pageTokens.set(slot, null);
      return new Stats.Result(resp.statusCode(), Http.code(resp), 0);
    }
    JsonNode n = Http.json(resp);
    pageTokens.set(slot, n.hasNonNull("nextPageToken") ? n.get("nextPageToken").asText() : null);
    return Stats.Result.ok(200, n.path("records").size());
  }

  /** Delta pulls, filtered pulls and snapshot pages at the same time (open loops). */
  List<Stats> readScenarios() throws Exception {
    collectCursors(cursors, null);
    collectCursors(filteredCursors, "tasks");
    Progress.phase = "pull+snapshot";
    Duration d = profile.readDuration();
    int threads = profile.threads();
    var delta =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                Runner.openLoop(
                    "pull delta " + (int) profile.pullRate() + "/s",
                    profile.pullRate(),
                    d,
                    Long.MAX_VALUE,
                    threads,
                    seq -> pull(null)));
    var filtered =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                Runner.openLoop(
                    "pull filtered " + (int) (profile.pullRate() / 2) + "/s",
                    profile.pullRate() / 2,
                    d,
                    Long.MAX_VALUE,
                    threads,
                    seq -> pull("tasks")));
    Stats snap =
        Runner.openLoop(
            "snapshot page " + (int) profile.snapshotRate() + "/s",
            profile.snapshotRate(),
            d,
            Long.MAX_VALUE,
            threads,
            this::snapshotPage);
    return List.of(delta.get(), filtered.get(), snap);
  }

  private final List<String[]> uploaded = new CopyOnWriteArrayList<>();

  Stats.Result upload(long seq) throws Exception {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    byte[] bytes = new byte[4096 + r.nextInt(60 * 1024)];
    r.nextBytes(bytes);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    Response resp =
        Http.as(stack.token(MEDIA_TENANT, "u" + (seq % 8)))
            .header("X-Content-SHA256", sha)
            .header("X-Client-Id", "m" + (seq % 64))
            .contentType("application/octet-stream")
            .body(bytes)
            .post(stack.mediaUrl() + "/v1/media");
    if (resp.statusCode() != 201 && resp.statusCode() != 200) {
      return new Stats.Result(resp.statusCode(), Http.code(resp), 0);
    }
    uploaded.add(new String[] {sha, Integer.toString(bytes.length)});
    return Stats.Result.ok(resp.statusCode(), bytes.length);
  }

  Stats.Result download(long seq) {
    if (uploaded.isEmpty()) {
      return new Stats.Result(0, "nothing_uploaded", 0);
    }
    String[] u = uploaded.get(ThreadLocalRandom.current().nextInt(uploaded.size()));
    Response resp =
        Http.as(stack.token(MEDIA_TENANT, "reader")).get(stack.mediaUrl() + "/v1/media/" + u[0]);
    if (resp.statusCode() != 200) {
      return new Stats.Result(resp.statusCode(), Http.code(resp), 0);
    }
    int len = resp.asByteArray().length;
    if (len != Integer.parseInt(u[1])) {
      return new Stats.Result(200, "short_body", 0);
    }
    return Stats.Result.ok(200, len);
  }

  List<Stats> mediaScenarios() throws Exception {
    Progress.phase = "media";
    // A few files first (not measured), so downloads have something to fetch from the start.
    for (int i = 0; i < 5; i++) {
      upload(1_000_000 + i);
    }
    Duration d = profile.mediaDuration();
    var down =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                Runner.openLoop(
                    "media download " + (int) (profile.mediaRate() * 2) + "/s",
                    profile.mediaRate() * 2,
                    d,
                    Long.MAX_VALUE,
                    profile.threads(),
                    this::download));
    Stats up =
        Runner.openLoop(
            "media upload " + (int) profile.mediaRate() + "/s",
            profile.mediaRate(),
            d,
            Long.MAX_VALUE,
            profile.threads(),
            this::upload);
    return List.of(up, down.get());
  }
}
