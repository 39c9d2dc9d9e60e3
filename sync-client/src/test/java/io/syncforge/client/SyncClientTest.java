package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.client.internal.LocalStore;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ConflictPolicy;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.ErrorDetail;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncClientTest {
  @TempDir Path dir;
  FakeServer server;
  SyncClient client;
  final List<MutationOutcome> merged = new CopyOnWriteArrayList<>();
  final List<MutationOutcome> rejected = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeServer();
    client = client(server.url(), Duration.ofSeconds(30), 500);
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.close();
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  SyncClient client(String url, Duration timeout, int pullLimit) {
    return SyncClient.builder()
        .baseUrl(url)
        .database(dir.resolve("client.db"))
        .token("tok")
        .transport(Transport.jdk(Duration.ofSeconds(5), timeout))
        .callbackExecutor(Runnable::run)
        .pullLimit(pullLimit)
        .snapshotPageSize(pullLimit)
        .conflictListener(ConflictListener.of(merged::add, rejected::add))
        .build();
  }

  static ObjectNode obj(Object... kv) {
    ObjectNode o = FakeServer.MAPPER.createObjectNode();
    for (int i = 0; i < kv.length; i += 2) {
      o.set((String) kv[i], FakeServer.MAPPER.valueToTree(kv[i + 1]));
    }
    return o;
  }

  Collection tasks() {
    return client.collection("tasks");
  }

  List<UUID> pushedIds() throws Exception {
    List<UUID> ids = new ArrayList<>();
    for (FakeServer.Req r : server.requests("/v1/sync/push")) {
      for (Mutation m : FakeServer.MAPPER.readValue(r.body(), PushRequest.class).mutations()) {
        ids.add(m.mutationId());
      }
    }
    return ids;
  }

  /** Answers every mutation with pending and does NOT apply it (still on its way to the log). */
  static FakeServer.Handler pendingWithoutApplying() {
    return (ex, body) -> {
      PushRequest req = FakeServer.MAPPER.readValue(body, PushRequest.class);
      List<MutationOutcome> out = new ArrayList<>();
      for (Mutation m : req.mutations()) {
        out.add(MutationOutcome.pending(m));
      }
      FakeServer.send(ex, 200, new PushResponse(out, FakeServer.T));
    };
  }

  @Test
  void writesAreVisibleAtOnceAndPushedBySync() {
    tasks().put("t-1", obj("title", "Buy milk", "done", false));
    tasks().patch("t-1", obj("done", true));
    tasks().put("t-2", obj("title", "gone soon"));
    assertTrue(tasks().delete("t-2"));

    SyncRecord local = tasks().get("t-1").orElseThrow();
    assertEquals(obj("title", "Buy milk", "done", true), local.data());
    assertTrue(local.pending());
    assertEquals(2, client.status().pendingCount(), "edits of a never-sent mutation fold into it");
    assertTrue(server.requests.isEmpty(), "writes never touch the network");

    SyncResult r = client.sync();

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, r);
    assertEquals(2, s.pushed());
    assertEquals(2, s.settled());
    assertEquals(0, s.stillPending());
    assertEquals(obj("title", "Buy milk", "done", true), server.records.get("tasks/t-1").data());
    assertTrue(server.records.get("tasks/t-2").deleted());
    SyncRecord synced = tasks().get("t-1").orElseThrow();
    assertFalse(synced.pending());
    assertEquals(1L, synced.version());
    assertTrue(tasks().get("t-2").isEmpty());
    assertEquals(FakeServer.T, client.status().lastSuccess());
    assertEquals(SyncStatus.State.IDLE, client.status().state());
  }

  @Test
  void patchSendsOnlyChangedFieldsWithBaseVersionAndNullRemoves() throws Exception {
    server.serverWrite("tasks", "t-1", obj("title", "a", "note", "x", "n", 1));
    client.sync();
    tasks().patch("t-1", obj("title", "a", "n", 2, "note", null));
    client.sync();
    FakeServer.Req push = server.requests("/v1/sync/push").get(0);
    Mutation m = FakeServer.MAPPER.readValue(push.body(), PushRequest.class).mutations().get(0);
    assertEquals(1L, m.baseVersion());
    assertEquals(obj("n", 2, "note", null), m.data());
    assertEquals(obj("title", "a", "n", 2), server.records.get("tasks/t-1").data());
    assertEquals("Bearer tok", push.headers().get("authorization"));
  }

  @Test
  void queueIsKeptOnNetworkErrorsTimeoutsAnd5xxAndRetryNeverDuplicates() throws Exception {
    tasks().put("t-1", obj("title", "offline edit"));

    // Connection refused.
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    client.close();
    client = client("http://127.0.0.1:" + deadPort, Duration.ofSeconds(30), 500);
    SyncResult refused = client.sync();
    assertInstanceOf(SyncResult.NetworkError.class, refused);
    assertEquals(1, client.status().pendingCount());
    assertEquals(SyncStatus.State.OFFLINE, client.status().state());
    assertEquals(ErrorClass.RETRYABLE, client.status().lastErrorClass());

    // Timeout: the server holds the push longer than the client waits.
    client.close();
    client = client(server.url(), Duration.ofMillis(300), 500);
    CountDownLatch release = new CountDownLatch(1);
    server.enqueue(
        "/v1/sync/push",
        (ex, body) -> {
          release.await(30, TimeUnit.SECONDS);
        });
    SyncResult timedOut;
    try {
      timedOut = client.sync();
    } finally {
      release.countDown();
    }
    assertInstanceOf(SyncResult.NetworkError.class, timedOut);
    assertEquals(1, client.status().pendingCount());

    // 503.
    client.close();
    client = client(server.url(), Duration.ofSeconds(30), 500);
    server.enqueue("/v1/sync/push", FakeServer.status503RetryAfter(7));
    SyncResult.ServerError unavailable =
        assertInstanceOf(SyncResult.ServerError.class, client.sync());
    assertEquals(ErrorClass.RETRYABLE, unavailable.classification());
    assertEquals("unavailable", unavailable.code());
    assertEquals(Duration.ofSeconds(7), unavailable.retryAfter());
    assertEquals(1, client.status().pendingCount());

    // 500 after the server applied it: the response is lost, the retry must not duplicate.
    server.enqueue("/v1/sync/push", server.pushThenFail());
    assertInstanceOf(SyncResult.ServerError.class, client.sync());
    assertEquals(1, client.status().pendingCount());

    SyncResult ok = client.sync();
    assertTrue(ok.isSuccess(), ok.toString());
    assertEquals(0, client.status().pendingCount());

    List<UUID> ids = pushedIds();
    assertTrue(ids.size() >= 3, "every attempt re-sent the queue: " + ids);
    assertEquals(1, Set.copyOf(ids).size(), "the same mutationId on every retry");
    assertEquals(1, server.applicationsOf(ids.get(0)), "applied exactly once");
    assertEquals(1L, server.records.get("tasks/t-1").version());
    assertEquals(1L, tasks().get("t-1").orElseThrow().version());
  }

  @Test
  void truncatedPullLeavesDataAndCursorUnchanged() {
    server.serverWrite("tasks", "t-1", obj("title", "v1"));
    assertTrue(client.sync().isSuccess());
    LocalStore store = client.store();
    String cursor = store.meta(LocalStore.META_CURSOR).orElseThrow();

    server.serverWrite("tasks", "t-1", obj("title", "v2"));
    server.serverWrite("tasks", "t-2", obj("title", "new"));
    server.enqueue("/v1/sync/pull", server.truncatedPull());

    SyncResult r = client.sync();

    assertInstanceOf(SyncResult.NetworkError.class, r);
    assertEquals(cursor, store.meta(LocalStore.META_CURSOR).orElseThrow());
    assertEquals(obj("title", "v1"), tasks().get("t-1").orElseThrow().data());
    assertTrue(tasks().get("t-2").isEmpty());

    assertTrue(client.sync().isSuccess());
    assertEquals(obj("title", "v2"), tasks().get("t-1").orElseThrow().data());
    assertTrue(tasks().get("t-2").isPresent());
    assertEquals("c3", store.meta(LocalStore.META_CURSOR).orElseThrow());
  }

  /** A new client reading pages of 2 records; the server holds t-1..t-5. */
  private void pagesOf2OverFiveServerRecords() {
    client.close();
    client = client(server.url(), Duration.ofSeconds(30), 2);
    for (int i = 1; i <= 5; i++) {
      server.serverWrite("tasks", "t-" + i, obj("n", i));
    }
  }

  @Test
  void firstSyncTakesTheSnapshotPathThenPullsFromItsCursor() {
    pagesOf2OverFiveServerRecords();
    server.serverWrite("tasks", "t-5", null); // a tombstone: not in the snapshot

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertTrue(s.snapshotReset());
    assertEquals(4, tasks().list().size());
    assertEquals(2, server.requests("/v1/sync/snapshot").size());
    FakeServer.Req pull = server.requests("/v1/sync/pull").get(0);
    assertEquals("c6", pull.query().get("cursor"));
    assertEquals(client.clientId(), pull.headers().get("x-client-id"));
    assertFalse(client.status().firstSyncInProgress());
    assertEquals(4, client.status().firstSyncRecords());
    assertEquals(
        List.of(obj("n", 3)), tasks().list(Map.of("n", 3)).stream().map(SyncRecord::data).toList());
  }

  @Test
  void pendingEditsStayVisibleOverPulledServerState() {
    server.serverWrite("tasks", "t-1", obj("title", "a", "n", 1));
    client.sync();
    tasks().patch("t-1", obj("title", "mine"));
    server.serverWrite("tasks", "t-1", obj("title", "a", "n", 2)); // someone else's edit
    server.enqueue("/v1/sync/push", pendingWithoutApplying());

    SyncResult r = client.sync();

    assertTrue(r.isSuccess(), r.toString());
    SyncRecord rec = tasks().get("t-1").orElseThrow();
    assertEquals(obj("title", "mine", "n", 2), rec.data(), "server state + my pending edit");
    assertTrue(rec.pending());
    assertEquals(2L, rec.version());
    assertEquals(1, client.status().pendingCount());
  }

  @Test
  void aSyncOfThreePushBatchesPullsOnceAndEndsSettled() {
    server.serverWrite("tasks", "other", obj("title", "from another device"));
    assertTrue(client.sync().isSuccess());
    server.requests.clear();
    for (int i = 0; i < 1200; i++) {
      tasks().put("e-" + i, obj("n", i));
    }

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertEquals(1200, s.pushed());
    assertEquals(1200, s.settled());
    assertEquals(0, client.status().pendingCount());
    assertEquals(3, server.requests("/v1/sync/push").size(), "500 + 500 + 200");
    List<FakeServer.Req> pulls = server.requests("/v1/sync/pull");
    // Pages of 500 from the cursor of the last sync (c1): the page started early is the first,
    // nothing is pulled twice.
    assertEquals(
        List.of("c1", "c501", "c1001"),
        pulls.stream().map(r -> r.query().get("cursor")).toList(),
        "pulls");
    for (int i = 0; i < 1200; i += 199) {
      SyncRecord r = tasks().get("e-" + i).orElseThrow();
      assertFalse(r.pending());
      assertEquals(obj("n", i), r.data());
    }
    assertEquals(obj("title", "from another device"), tasks().get("other").orElseThrow().data());
  }

  @Test
  void aWaveWithAFailedPushSendsNoPull() {
    assertTrue(client.sync().isSuccess());
    server.requests.clear();
    for (int i = 0; i < 1200; i++) {
      tasks().put("e-" + i, obj("n", i));
    }
    // The last batch (200 mutations, sent from the pool) fails with an outage; the two of 500
    // are answered.
    FakeServer.Handler answer = FakeServer.ok(server::pushAnswer);
    FakeServer.Handler outage = FakeServer.status503RetryAfter(1);
    server.setDefault(
        "/v1/sync/push",
        (ex, body) -> {
          int n = FakeServer.MAPPER.readTree(body).get("mutations").size();
          (n == 200 ? outage : answer).handle(ex, body);
        });

    SyncResult r = client.sync();
    sleepMillis(300); // a pull started by the pool would have arrived by now

    assertFalse(r.isSuccess(), r.toString());
    assertEquals(3, server.requests("/v1/sync/push").size());
    assertEquals(
        List.of(), server.requests("/v1/sync/pull"), "a run whose push failed pulls nothing");
    server.setDefault("/v1/sync/push", answer);
    assertTrue(client.status().pendingCount() > 0);
    assertTrue(client.sync().isSuccess());
    assertEquals(0, client.status().pendingCount());
  }

  @Test
  void resetOn410KeepsPendingEditsAndResumesFromTheSnapshotCursor() {
    server.serverWrite("tasks", "t-1", obj("title", "a"));
    server.serverWrite("tasks", "t-gone", obj("title", "deleted while away"));
    client.sync();
    tasks().patch("t-1", obj("done", true));
    tasks().put("t-new", obj("title", "created offline"));
    server.serverWrite("tasks", "t-1", obj("title", "b"));
    server.serverWrite("tasks", "t-gone", null);
    server.enqueue("/v1/sync/push", pendingWithoutApplying());
    server.enqueue("/v1/sync/pull", FakeServer.problem(ErrorCode.CURSOR_EXPIRED));

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertTrue(s.snapshotReset());
    assertEquals(2, client.status().pendingCount(), "a reset never drops the queue");
    assertEquals(obj("title", "b", "done", true), tasks().get("t-1").orElseThrow().data());
    assertEquals(obj("title", "created offline"), tasks().get("t-new").orElseThrow().data());
    assertTrue(tasks().get("t-gone").isEmpty(), "records missing from the snapshot are gone");
    List<FakeServer.Req> pulls = server.requests("/v1/sync/pull");
    assertEquals("c4", pulls.get(pulls.size() - 1).query().get("cursor"));

    assertTrue(client.sync().isSuccess());
    assertEquals(0, client.status().pendingCount());
    assertEquals(obj("title", "b", "done", true), server.records.get("tasks/t-1").data());
  }

  @Test
  void pendingOutcomeIsSettledByAPullReceipt() {
    assertTrue(client.sync().isSuccess()); // the device has a cursor from before its push
    server.answerPending = true;
    tasks().put("t-1", obj("title", "x"));

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertEquals(1, s.settled(), "settled by the receipt, not by the push");
    assertEquals(0, client.status().pendingCount());
    assertFalse(tasks().get("t-1").orElseThrow().pending());
  }

  @Test
  void pendingMutationWhoseReceiptFellBeforeTheSnapshotCursorIsSettledByRePush() {
    server.answerPending = true;
    tasks().put("t-1", obj("title", "x"));
    assertTrue(client.sync().isSuccess());
    assertEquals(1, client.status().pendingCount(), "first sync: the snapshot cursor skipped it");
    server.answerPending = false;
    assertTrue(client.sync().isSuccess());
    assertEquals(0, client.status().pendingCount(), "the re-push returns the first outcome");
    assertEquals(1, server.allApplicationCounts().get(0));
  }

  @Test
  void singleFlightConcurrentTriggersJoinOneRun() throws Exception {
    tasks().put("t-1", obj("title", "x"));
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FakeServer.Handler real = FakeServer.ok(server::pushAnswer);
    server.enqueue(
        "/v1/sync/push",
        (ex, body) -> {
          entered.countDown();
          release.await(30, TimeUnit.SECONDS);
          real.handle(ex, body);
        });
    CompletableFuture<SyncResult> first = client.syncAsync();
    assertTrue(entered.await(30, TimeUnit.SECONDS));
    List<CompletableFuture<SyncResult>> joined = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Thread t = new Thread(() -> joined.add(client.syncAsync()));
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    release.countDown();
    SyncResult r = first.get(30, TimeUnit.SECONDS);
    for (CompletableFuture<SyncResult> f : joined) {
      assertEquals(r, f.get(30, TimeUnit.SECONDS));
    }
    assertEquals(1, server.requests("/v1/sync/push").size());
    assertEquals(1, server.requests("/v1/sync/snapshot").size());
  }

  @Test
  void authErrorIsReportedAndTheQueueKept() {
    tasks().put("t-1", obj("title", "x"));
    server.enqueue("/v1/sync/push", FakeServer.problem(ErrorCode.UNAUTHORIZED));

    SyncResult r = client.sync();

    assertInstanceOf(SyncResult.AuthError.class, r);
    assertEquals(ErrorClass.AUTH, r.errorClass());
    SyncStatus st = client.status();
    assertEquals(SyncStatus.State.ERROR, st.state());
    assertEquals(ErrorClass.AUTH, st.lastErrorClass());
    assertEquals(1, st.pendingCount());
  }

  @Test
  void permanentErrorIsClassified() {
    server.enqueue("/v1/sync/snapshot", FakeServer.problem(ErrorCode.UNKNOWN_COLLECTION));
    SyncResult.ServerError e = assertInstanceOf(SyncResult.ServerError.class, client.sync());
    assertEquals(422, e.status());
    assertEquals(ErrorClass.PERMANENT, e.classification());
  }

  @Test
  void conflictsAndRejectionsReachTheListenerAndShowTheServerResolution() {
    server.serverWrite("tasks", "t-1", obj("title", "server", "n", 1));
    client.sync();
    tasks().patch("t-1", obj("title", "mine"));
    tasks().put("t-bad", obj("title", "refused"));
    server.enqueue(
        "/v1/sync/push",
        (ex, body) -> {
          List<Mutation> ms = FakeServer.MAPPER.readValue(body, PushRequest.class).mutations();
          var conflict =
              new Conflict(
                  "title",
                  FakeServer.MAPPER.valueToTree("mine"),
                  FakeServer.MAPPER.valueToTree("server2"),
                  FakeServer.MAPPER.valueToTree("server2"),
                  ConflictPolicy.SERVER_WINS);
          FakeServer.send(
              ex,
              200,
              new PushResponse(
                  List.of(
                      MutationOutcome.merged(ms.get(0), 2, List.of(conflict)),
                      MutationOutcome.rejected(
                          ms.get(1), ErrorDetail.of(ErrorCode.FORBIDDEN, "no"))),
                  FakeServer.T));
        });
    List<String> changed = new CopyOnWriteArrayList<>();
    tasks()
        .addChangeListener(
            new ChangeListener() {
              @Override
              public void onChange(String collection, Set<String> recordIds) {
                changed.addAll(recordIds);
              }
            });

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertEquals(1, s.conflicts());
    assertEquals(1, s.rejected());
    assertEquals(1, merged.size());
    assertEquals("title", merged.get(0).conflicts().get(0).field());
    assertEquals(1, rejected.size());
    assertEquals("forbidden", rejected.get(0).error().code());
    assertEquals("server2", tasks().get("t-1").orElseThrow().data().get("title").asText());
    assertTrue(tasks().get("t-bad").isEmpty(), "a rejected create disappears");
    assertTrue(changed.contains("t-bad"));
    assertEquals(0, client.status().pendingCount());
  }

  @Test
  void statusListenerSeesSyncingThenIdle() {
    List<SyncStatus.State> states = new CopyOnWriteArrayList<>();
    client.addStatusListener(
        new SyncStatusListener() {
          @Override
          public void onStatus(SyncStatus status) {
            states.add(status.state());
          }
        });
    client.sync();
    assertEquals(SyncStatus.State.SYNCING, states.get(0));
    assertEquals(SyncStatus.State.IDLE, states.get(states.size() - 1));
  }

  @Test
  void clientIdIsGeneratedOnceAndKept() {
    String id = client.clientId();
    assertNotNull(id);
    client.close();
    client = client(server.url(), Duration.ofSeconds(30), 500);
    assertEquals(id, client.clientId());
  }

  @Test
  void queueIsPushedInBatchesOfAtMost500() throws Exception {
    for (int i = 0; i < 501; i++) {
      tasks().put("t-" + i, obj("n", i));
    }
    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(501, s.pushed());
    List<Integer> sizes = new ArrayList<>();
    for (FakeServer.Req r : server.requests("/v1/sync/push")) {
      sizes.add(FakeServer.MAPPER.readValue(r.body(), PushRequest.class).mutations().size());
    }
    sizes.sort(null); // the two batches are in flight at once: either may arrive first
    assertEquals(List.of(1, 500), sizes);
    assertEquals(501, tasks().list().size());
    assertEquals(0, client.status().pendingCount());
  }

  @Test
  void pushBatchesOfOneRoundAreInFlightAtOnce() throws Exception {
    for (int i = 0; i < 1200; i++) {
      tasks().put("t-" + i, obj("n", i));
    }
    // Each push answers only once all three batches of the round have arrived (or after 10 s):
    // sequential pushes would each wait the 10 s out.
    java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(3);
    java.util.concurrent.atomic.AtomicInteger together =
        new java.util.concurrent.atomic.AtomicInteger();
    for (int k = 0; k < 3; k++) {
      server.enqueue(
          "/v1/sync/push",
          (ex, body) -> {
            all.countDown();
            if (all.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
              together.incrementAndGet();
            }
            FakeServer.send(ex, 200, server.pushAnswer(ex, body));
          });
    }
    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(1200, s.pushed());
    assertEquals(3, together.get(), "the three batches were at the server at the same time");
    assertEquals(0, client.status().pendingCount());
    assertEquals(1200, tasks().list().size());
  }

  @Test
  void gzipResponsesAreDecoded() {
    server.serverWrite("tasks", "t-1", obj("title", "zipped"));
    client.sync();
    server.serverWrite("tasks", "t-1", obj("title", "zipped again"));
    server.enqueue(
        "/v1/sync/pull",
        (ex, body) -> {
          byte[] json = FakeServer.MAPPER.writeValueAsBytes(server.pullAnswer(ex, body));
          java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
          try (var gz = new java.util.zip.GZIPOutputStream(buf)) {
            gz.write(json);
          }
          ex.getResponseHeaders().set("Content-Encoding", "gzip");
          ex.getResponseHeaders().set("Content-Type", "application/json");
          ex.sendResponseHeaders(200, buf.size());
          ex.getResponseBody().write(buf.toByteArray());
        });
    assertTrue(client.sync().isSuccess());
    assertEquals("zipped again", tasks().get("t-1").orElseThrow().data().get("title").asText());
    List<FakeServer.Req> pulls = server.requests("/v1/sync/pull");
    assertEquals("gzip", pulls.get(pulls.size() - 1).headers().get("accept-encoding"));
  }

  @Test
  void lastErrorSurvivesARestart() {
    server.enqueue("/v1/sync/snapshot", FakeServer.problem(ErrorCode.UNAVAILABLE));
    assertInstanceOf(SyncResult.ServerError.class, client.sync());
    client.close();
    client = client(server.url(), Duration.ofSeconds(30), 500);
    assertEquals(ErrorClass.RETRYABLE, client.status().lastErrorClass());
    assertTrue(client.sync().isSuccess());
    client.close();
    client = client(server.url(), Duration.ofSeconds(30), 500);
    assertEquals(null, client.status().lastErrorClass());
    assertEquals(SyncStatus.State.IDLE, client.status().state());
  }

  @Test
  void collectionsFilterIsSentWithMediaAndAChangedFilterResets() {
    client.close();
    client =
        SyncClient.builder()
            .baseUrl(server.url())
            .database(dir.resolve("client.db"))
            .callbackExecutor(Runnable::run)
            .collections(List.of("tasks"))
            .build();
    assertTrue(client.sync().isSuccess());
    assertEquals(
        "tasks,_media", server.requests("/v1/sync/pull").get(0).query().get("collections"));
    assertEquals(
        "tasks,_media", server.requests("/v1/sync/snapshot").get(0).query().get("collections"));
    client.close();
    client =
        SyncClient.builder()
            .baseUrl(server.url())
            .database(dir.resolve("client.db"))
            .callbackExecutor(Runnable::run)
            .collections(List.of("tasks", "notes"))
            .build();
    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());
    assertTrue(s.snapshotReset(), "a new scope re-reads server state");
  }

  @Test
  void pullBodyThatStallsAfterTheHeadersTimesOutAndChangesNothing() throws Exception {
    server.serverWrite("tasks", "t-1", obj("title", "v1"));
    assertTrue(client.sync().isSuccess());
    String cursor = client.store().meta(LocalStore.META_CURSOR).orElseThrow();
    client.close();
    client = client(server.url(), Duration.ofMillis(300), 500);
    server.serverWrite("tasks", "t-1", obj("title", "v2"));
    CountDownLatch release = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean serverGaveUp =
        new java.util.concurrent.atomic.AtomicBoolean();
    server.enqueue(
        "/v1/sync/pull",
        (ex, body) -> {
          byte[] json = FakeServer.MAPPER.writeValueAsBytes(server.pullAnswer(ex, body));
          ex.sendResponseHeaders(200, 0);
          ex.getResponseBody().write(json, 0, json.length / 2);
          ex.getResponseBody().flush();
          release.await(120, TimeUnit.SECONDS);
          serverGaveUp.set(true); // only now would the connection end by itself
        });
    SyncResult r;
    try {
      r = client.sync();
      assertFalse(serverGaveUp.get(), "the client gave up on the stalled body by itself");
    } finally {
      release.countDown();
    }
    assertInstanceOf(SyncResult.NetworkError.class, r);
    assertEquals(cursor, client.store().meta(LocalStore.META_CURSOR).orElseThrow());
    assertEquals("v1", tasks().get("t-1").orElseThrow().data().get("title").asText());
    assertFalse(Thread.currentThread().isInterrupted());
    assertTrue(client.sync().isSuccess(), "the sync thread is usable again");
    assertEquals("v2", tasks().get("t-1").orElseThrow().data().get("title").asText());
  }

  @Test
  void blockingSyncFromAListenerOnTheSyncThreadFailsFastInsteadOfDeadlocking() {
    server.serverWrite("tasks", "t-1", obj("a", 1));
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<CompletableFuture<SyncResult>> asyncRuns = new CopyOnWriteArrayList<>();
    client.addChangeListener(
        new ChangeListener() {
          @Override
          public void onChange(String collection, Set<String> recordIds) {
            try {
              client.sync();
            } catch (IllegalStateException e) {
              errors.add(e);
            }
            asyncRuns.add(client.syncAsync());
          }
        });
    assertTrue(client.sync().isSuccess());
    assertEquals(1, errors.size());
    assertFalse(asyncRuns.isEmpty(), "syncAsync from a listener joins the run");
  }

  @Test
  void consecutiveOfflineEditsFoldIntoOneMutation() throws Exception {
    tasks().put("t-1", obj("title", "a", "n", 1));
    tasks().patch("t-1", obj("title", "b"));
    tasks()
        .patch(
            "t-1",
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue("{\"n\":null}", ObjectNode.class));
    assertEquals(1, client.status().pendingCount());
    assertTrue(client.sync().isSuccess());
    Mutation m =
        FakeServer.MAPPER
            .readValue(server.requests("/v1/sync/push").get(0).body(), PushRequest.class)
            .mutations()
            .get(0);
    assertEquals(io.syncforge.protocol.Op.UPSERT, m.op());
    assertEquals(obj("title", "b"), m.data());
    assertEquals(obj("title", "b"), server.records.get("tasks/t-1").data());
  }

  @Test
  void editMadeWhileAnEarlierOneIsInFlightIsSentAfterItSettlesOnItsVersion() throws Exception {
    server.serverWrite("tasks", "t-1", obj("title", "a"));
    client.sync();
    tasks().put("t-1", obj("title", "b")); // an upsert: an applied patch is never adopted
    server.enqueue("/v1/sync/push", pendingWithoutApplying());
    assertTrue(client.sync().isSuccess());
    tasks().patch("t-1", obj("title", "c")); // the first patch was sent: a new mutation
    assertEquals(2, client.status().pendingCount());
    int before = server.requests("/v1/sync/push").size();

    assertTrue(client.sync().isSuccess());

    List<FakeServer.Req> pushes = server.requests("/v1/sync/push");
    assertEquals(before + 2, pushes.size(), "one round per mutation of the record");
    List<Mutation> first =
        FakeServer.MAPPER.readValue(pushes.get(before).body(), PushRequest.class).mutations();
    List<Mutation> second =
        FakeServer.MAPPER.readValue(pushes.get(before + 1).body(), PushRequest.class).mutations();
    assertEquals(1, first.size());
    assertEquals(obj("title", "b"), first.get(0).data());
    assertEquals(1L, first.get(0).baseVersion());
    assertEquals(obj("title", "c"), second.get(0).data());
    assertEquals(2L, second.get(0).baseVersion(), "rebased on the version our first edit made");
    assertEquals(obj("title", "c"), server.records.get("tasks/t-1").data());
    assertEquals(0, client.status().pendingCount());
  }

  @Test
  void snapshotWhosePageTokenExpiresStartsAgainWithinTheRun() {
    pagesOf2OverFiveServerRecords();
    server.enqueue("/v1/sync/snapshot", FakeServer.ok(server::snapshotAnswer));
    server.enqueue("/v1/sync/snapshot", FakeServer.problem(ErrorCode.LOG_EPOCH_CHANGED));

    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, client.sync());

    assertTrue(s.snapshotReset());
    assertEquals(5, tasks().list().size());
    List<FakeServer.Req> snaps = server.requests("/v1/sync/snapshot");
    assertEquals(5, snaps.size());
    assertEquals(null, snaps.get(2).query().get("pageToken"), "started again from the first page");
    assertEquals(5, client.status().firstSyncRecords());
  }
}
