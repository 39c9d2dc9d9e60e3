package io.syncforge.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ConflictPolicy;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.ErrorDetail;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.Problem;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import io.syncforge.protocol.SnapshotPage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A scripted sync-api on the JDK's HttpServer. By default it simulates the server (versions, dedupe
 * by mutation id, change log, receipts, snapshot); one-shot scripted handlers per path inject
 * faults.
 */
final class FakeServer implements AutoCloseable {
  static final ObjectMapper MAPPER = Json.newMapper();
  static final Instant T = Instant.parse("2026-11-25T22:00:00Z");

  /** Handles one exchange. */
  interface Handler {
    void handle(HttpExchange ex, byte[] body) throws Exception;
  }

  /** A recorded request. */
  record Req(
      String method,
      String path,
      Map<String, String> query,
      Map<String, String> headers,
      byte[] body) {}

  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Map<String, ConcurrentLinkedDeque<Handler>> scripted = new HashMap<>();
  private final Map<String, Handler> defaults = new HashMap<>();
  final List<Req> requests = new CopyOnWriteArrayList<>();

  // Simulated server state, guarded by this.
  final List<Change> log = new ArrayList<>();
  final List<MutationOutcome> receiptLog = new ArrayList<>(); // parallel to log positions
  final Map<String, Change> records = new TreeMap<>();
  final Map<UUID, MutationOutcome> outcomes = new HashMap<>();
  final Map<UUID, Integer> applications = new HashMap<>();
  boolean answerPending;

  FakeServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(pool);
    server.createContext("/", this::dispatch);
    defaults.put("/v1/sync/push", ok(this::pushAnswer));
    defaults.put("/v1/sync/pull", ok(this::pullAnswer));
    defaults.put("/v1/sync/snapshot", ok(this::snapshotAnswer));
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void enqueue(String path, Handler h) {
    synchronized (scripted) {
      scripted.computeIfAbsent(path, k -> new ConcurrentLinkedDeque<>()).add(h);
    }
  }

  void setDefault(String path, Handler h) {
    synchronized (scripted) {
      defaults.put(path, h);
    }
  }

  List<Req> requests(String path) {
    return requests.stream().filter(r -> r.path().startsWith(path)).toList();
  }

  private void dispatch(HttpExchange ex) throws IOException {
    try {
      byte[] body = ex.getRequestBody().readAllBytes();
      String path = ex.getRequestURI().getPath();
      Map<String, String> headers = new LinkedHashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
      requests.add(new Req(ex.getRequestMethod(), path, query(ex), headers, body));
      Handler h = null;
      synchronized (scripted) {
        String key = route(path);
        var q = scripted.get(key);
        if (q != null) {
          h = q.poll();
        }
        if (h == null) {
          h = defaults.get(key);
        }
      }
      if (h == null) {
        send(ex, 404, Problem.of(ErrorCode.NOT_FOUND, "no route", "t"));
      } else {
        h.handle(ex, body);
      }
    } catch (Exception e) {
      // The client may have gone away (timeouts); nothing to do.
    } finally {
      ex.close();
    }
  }

  private String route(String path) {
    if (path.startsWith("/v1/media/")) {
      return "/v1/media/";
    }
    return path;
  }

  static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String p : raw.split("&")) {
        int i = p.indexOf('=');
        if (i > 0) {
          q.put(p.substring(0, i), URLDecoder.decode(p.substring(i + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return q;
  }

  static void send(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = MAPPER.writeValueAsBytes(body);
    ex.getResponseHeaders()
        .set("Content-Type", body instanceof Problem ? Problem.MEDIA_TYPE : "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  // ------------------------------------------------------------ scripted faults

  static Handler problem(ErrorCode code) {
    return (ex, body) -> send(ex, code.status(), Problem.of(code, "scripted " + code, "trace-1"));
  }

  static Handler status503RetryAfter(int seconds) {
    return (ex, body) -> {
      ex.getResponseHeaders().set("Retry-After", Integer.toString(seconds));
      send(ex, 503, Problem.of(ErrorCode.UNAVAILABLE, "down", "t"));
    };
  }

  /** Computes a simulated answer body. */
  interface Sim {
    Object answer(HttpExchange ex, byte[] body) throws IOException;
  }

  static Handler ok(Sim sim) {
    return (ex, body) -> send(ex, 200, sim.answer(ex, body));
  }

  /** Applies the push for real, then loses the answer behind a 500. */
  Handler pushThenFail() {
    return (ex, body) -> {
      pushAnswer(ex, body);
      send(ex, 500, Problem.of(ErrorCode.INTERNAL, "lost", "t"));
    };
  }

  /** The real pull answer, cut in the middle of its JSON (chunked, so no length betrays it). */
  Handler truncatedPull() {
    return (ex, body) -> {
      byte[] full = MAPPER.writeValueAsBytes(pullAnswer(ex, body));
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(full, 0, full.length / 2);
      }
    };
  }

  // ------------------------------------------------------------ simulated server

  /**
   * The writer's per-record bookkeeping: for each field the version and client that last set it.
   */
  static final class Meta {
    final Map<String, Long> fieldVersion = new HashMap<>();
    final Map<String, String> fieldWriter = new HashMap<>();
    long deletedAt;
    String deletedBy;
  }

  /** Per-record writer bookkeeping, by "collection/id". */
  final Map<String, Meta> meta = new HashMap<>();

  /** Conflict policy per collection; default server-wins, like the real writer. */
  final Map<String, ConflictPolicy> policies = new HashMap<>();

  /** A write by another party (a back-office system): client id {@code "server"}. */
  synchronized void serverWrite(String collection, String id, ObjectNode data) {
    String key = collection + "/" + id;
    Change prev = records.get(key);
    long v = prev == null ? 1 : prev.version() + 1;
    Meta mt = meta.computeIfAbsent(key, k -> new Meta());
    if (data == null) {
      mt.deletedAt = v;
      mt.deletedBy = "server";
    } else {
      java.util.Set<String> fields = new java.util.HashSet<>();
      data.fieldNames().forEachRemaining(fields::add);
      if (prev != null && prev.data() != null) {
        prev.data().fieldNames().forEachRemaining(fields::add);
      }
      for (String f : fields) {
        JsonNode before = prev == null || prev.data() == null ? null : prev.data().get(f);
        if (!java.util.Objects.equals(before, data.get(f))) {
          mt.fieldVersion.put(f, v);
          mt.fieldWriter.put(f, "server");
        }
      }
    }
    Change c = new Change(collection, id, v, data == null, data, T);
    records.put(key, c);
    log.add(c);
    receiptLog.add(null);
  }

  synchronized PushResponse pushAnswer(HttpExchange ex, byte[] body) throws IOException {
    PushRequest req = MAPPER.readValue(body, PushRequest.class);
    List<MutationOutcome> out = new ArrayList<>();
    for (Mutation m : req.mutations()) {
      MutationOutcome o = outcomes.get(m.mutationId());
      if (o == null) {
        o = apply(m, req.clientId());
        outcomes.put(m.mutationId(), o);
      }
      out.add(answerPending ? MutationOutcome.pending(m) : o);
    }
    return new PushResponse(out, T);
  }

  /**
   * Applies one mutation by the writer's rules (docs/sync-protocol.md section 7 and the lead's
   * contract "a device never conflicts with itself"): a field conflicts only if another client
   * changed it after the mutation's base and the values differ; the policy settles it.
   */
  private MutationOutcome apply(Mutation m, String clientId) {
    applications.merge(m.mutationId(), 1, Integer::sum);
    String key = m.collection() + "/" + m.recordId();
    Change prev = records.get(key);
    long base = m.baseVersion() == null ? 0 : m.baseVersion();
    ConflictPolicy policy = policies.getOrDefault(m.collection(), ConflictPolicy.SERVER_WINS);
    boolean clientWins = policy == ConflictPolicy.CLIENT_WINS;
    if (prev != null && base > prev.version()) {
      return reject(m, ErrorCode.CONFLICT, "baseVersion ahead of the server");
    }
    Meta mt = meta.computeIfAbsent(key, k -> new Meta());
    boolean live = prev != null && !prev.deleted();
    List<Conflict> conflicts = new ArrayList<>();
    ObjectNode data;
    boolean deleted;
    if (m.op() == Op.DELETE) {
      if (!live) {
        if (prev == null) { // never existed: a tombstone with a new version (contract 2)
          return commit(m, key, prev, mt, clientId, null, true, List.of(), policy);
        }
        return MutationOutcome.applied(m, prev.version()); // already deleted: nothing new
      }
      boolean changedByOthers =
          mt.fieldVersion.entrySet().stream()
              .anyMatch(
                  e -> e.getValue() > base && !clientId.equals(mt.fieldWriter.get(e.getKey())));
      if (changedByOthers) {
        conflicts.add(
            new Conflict(
                "_deleted",
                BooleanNode.TRUE,
                BooleanNode.FALSE,
                BooleanNode.valueOf(clientWins),
                policy));
        if (!clientWins) {
          return commit(m, key, prev, mt, clientId, prev.data(), false, conflicts, policy);
        }
      }
      return commit(m, key, prev, mt, clientId, prev.data(), true, conflicts, policy);
    }
    if (prev == null) {
      if (m.op() == Op.PATCH) {
        return reject(m, ErrorCode.NOT_FOUND, "patch of a record that never existed");
      }
      return commit(m, key, null, mt, clientId, m.data(), false, List.of(), policy);
    }
    ObjectNode current = prev.data() == null ? MAPPER.createObjectNode() : prev.data().deepCopy();
    if (!live) {
      boolean deletedByOthers = mt.deletedAt > base && !clientId.equals(mt.deletedBy);
      if (deletedByOthers) {
        conflicts.add(
            new Conflict(
                "_deleted",
                BooleanNode.FALSE,
                BooleanNode.TRUE,
                BooleanNode.valueOf(!clientWins),
                policy));
        if (!clientWins) {
          return commit(m, key, prev, mt, clientId, prev.data(), true, conflicts, policy);
        }
      }
    }
    java.util.Set<String> fields = new java.util.LinkedHashSet<>();
    m.data().fieldNames().forEachRemaining(fields::add);
    if (m.op() == Op.UPSERT) {
      current.fieldNames().forEachRemaining(fields::add); // missing fields are removals
    }
    data = current.deepCopy();
    for (String f : fields) {
      JsonNode mine = m.data().get(f);
      if (mine != null && mine.isNull()) {
        mine = null;
      }
      JsonNode theirs = current.get(f);
      boolean otherChanged =
          mt.fieldVersion.getOrDefault(f, 0L) > base && !clientId.equals(mt.fieldWriter.get(f));
      JsonNode resolved = mine;
      if (otherChanged && !java.util.Objects.equals(mine, theirs)) {
        resolved = clientWins ? mine : theirs;
        conflicts.add(
            new Conflict(
                f,
                mine == null ? NullNode.getInstance() : mine,
                theirs == null ? NullNode.getInstance() : theirs,
                resolved == null ? NullNode.getInstance() : resolved,
                policy));
      }
      if (resolved == null) {
        data.remove(f);
      } else {
        data.set(f, resolved);
      }
    }
    deleted = false;
    return commit(m, key, prev, mt, clientId, data, deleted, conflicts, policy);
  }

  private MutationOutcome commit(
      Mutation m,
      String key,
      Change prev,
      Meta mt,
      String clientId,
      ObjectNode data,
      boolean deleted,
      List<Conflict> conflicts,
      ConflictPolicy policy) {
    boolean same =
        prev != null && prev.deleted() == deleted && java.util.Objects.equals(prev.data(), data);
    long v;
    if (same) {
      v = prev.version();
    } else {
      v = prev == null ? 1 : prev.version() + 1;
      if (deleted) {
        mt.deletedAt = v;
        mt.deletedBy = clientId;
      } else {
        java.util.Set<String> fields = new java.util.HashSet<>();
        if (data != null) {
          data.fieldNames().forEachRemaining(fields::add);
        }
        if (prev != null && prev.data() != null) {
          prev.data().fieldNames().forEachRemaining(fields::add);
        }
        for (String f : fields) {
          JsonNode before =
              prev == null || prev.data() == null || prev.deleted() ? null : prev.data().get(f);
          JsonNode after = data == null ? null : data.get(f);
          if (!java.util.Objects.equals(before, after)) {
            mt.fieldVersion.put(f, v);
            mt.fieldWriter.put(f, clientId);
          }
        }
      }
      Change c = new Change(m.collection(), m.recordId(), v, deleted, data, T);
      records.put(key, c);
      log.add(c);
    }
    MutationOutcome o =
        conflicts.isEmpty()
            ? MutationOutcome.applied(m, v)
            : MutationOutcome.merged(m, v, conflicts);
    if (same) {
      // No new log entry; the receipt rides on a marker entry so a pull still delivers it.
      log.add(records.get(key));
    }
    receiptLog.add(o);
    return o;
  }

  private MutationOutcome reject(Mutation m, ErrorCode code, String message) {
    MutationOutcome o = MutationOutcome.rejected(m, ErrorDetail.of(code, message));
    log.add(null);
    receiptLog.add(o);
    return o;
  }

  synchronized PullResponse pullAnswer(HttpExchange ex, byte[] body) throws IOException {
    Map<String, String> q = query(ex);
    int from = q.containsKey("cursor") ? Integer.parseInt(q.get("cursor").substring(1)) : 0;
    int limit = Integer.parseInt(q.getOrDefault("limit", "500"));
    int to = Math.min(log.size(), from + limit);
    List<Change> changes = new ArrayList<>();
    for (Change c : log.subList(from, to)) {
      if (c != null) {
        changes.add(c);
      }
    }
    List<MutationOutcome> receipts = new ArrayList<>();
    for (int i = from; i < to; i++) {
      if (receiptLog.get(i) != null) {
        receipts.add(receiptLog.get(i));
      }
    }
    return new PullResponse(changes, receipts, "c" + to, to < log.size(), T, T);
  }

  synchronized SnapshotPage snapshotAnswer(HttpExchange ex, byte[] body) throws IOException {
    Map<String, String> q = query(ex);
    int limit = Integer.parseInt(q.getOrDefault("limit", "500"));
    int offset = 0;
    String cursor = "c" + log.size();
    if (q.containsKey("pageToken")) {
      String[] t = q.get("pageToken").split(":");
      offset = Integer.parseInt(t[0]);
      cursor = t[1];
    }
    List<Change> live = records.values().stream().filter(c -> !c.deleted()).toList();
    int to = Math.min(live.size(), offset + limit);
    String next = to < live.size() ? to + ":" + cursor : null;
    return new SnapshotPage(new ArrayList<>(live.subList(offset, to)), next, cursor);
  }

  synchronized int applicationsOf(UUID id) {
    return applications.getOrDefault(id, 0);
  }

  synchronized List<Integer> allApplicationCounts() {
    return Collections.unmodifiableList(new ArrayList<>(applications.values()));
  }

  /**
   * A client of this server: its local database at {@code db}, a fixed token, short timeouts and
   * listener callbacks on the calling thread.
   */
  SyncClient.Builder client(java.nio.file.Path db) {
    return SyncClient.builder()
        .baseUrl(url())
        .database(db)
        .token("tok")
        .transport(Transport.jdk(java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(30)))
        .callbackExecutor(Runnable::run);
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
