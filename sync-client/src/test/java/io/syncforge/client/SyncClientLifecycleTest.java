package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, item 3: a lifecycle that cannot hang. {@code close()} during a sync returns within its
 * documented bound, the run's future always completes, {@code sync()} never blocks forever, and no
 * listener runs after {@code close()} returned. These are hang detectors (generous bounds), not
 * speed assertions.
 */
class SyncClientLifecycleTest {
  @TempDir Path dir;
  FakeServer server;
  final CountDownLatch release = new CountDownLatch(1);

  /** Bound for close(): its documented wait plus slack for a loaded machine. */
  static final Duration CLOSE_BOUND = SyncClient.CLOSE_TIMEOUT.plusSeconds(5);

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeServer();
  }

  @AfterEach
  void tearDown() {
    release.countDown();
    server.close();
  }

  private SyncClient client(String name) {
    return SyncClient.builder()
        .baseUrl(server.url())
        .database(dir.resolve(name + ".db"))
        .token("tok")
        // Longer than close()'s bound: the old close() waited 30 s for a request like this.
        .transport(Transport.jdk(Duration.ofSeconds(5), Duration.ofSeconds(120)))
        .snapshotPageSize(1)
        .build();
  }

  private FakeServer.Handler hang() {
    return (ex, body) -> release.await(120, TimeUnit.SECONDS);
  }

  private void awaitRequest(String path) throws InterruptedException {
    for (int i = 0; i < 400 && server.requests(path).isEmpty(); i++) {
      Thread.sleep(25);
    }
    assertFalse(server.requests(path).isEmpty(), "the client reached " + path);
  }

  @Test
  void closeDuringAHangingPullReturnsWithinItsBoundAndTheRunEnds() throws Exception {
    server.setDefault("/v1/sync/pull", hang());
    SyncClient client = client("pull");
    client.collection("tasks").put("t-1", Map.of("title", "a"));
    AtomicBoolean closeReturned = new AtomicBoolean();
    AtomicInteger lateCallbacks = new AtomicInteger();
    client.addStatusListener(
        s -> {
          if (closeReturned.get()) {
            lateCallbacks.incrementAndGet();
          }
        });
    client.addChangeListener(
        (collection, ids) -> {
          if (closeReturned.get()) {
            lateCallbacks.incrementAndGet();
          }
        });
    CompletableFuture<SyncResult> run = client.syncAsync();
    CompletableFuture<SyncResult> joined = client.syncAsync();
    // A caller blocked in sync() on another thread must be released too.
    CompletableFuture<SyncResult> blocking = CompletableFuture.supplyAsync(client::sync);
    awaitRequest("/v1/sync/pull");

    assertTimeoutPreemptively(CLOSE_BOUND, client::close);
    closeReturned.set(true);

    for (CompletableFuture<SyncResult> f : java.util.List.of(run, joined, blocking)) {
      SyncResult r = f.get(CLOSE_BOUND.toSeconds(), TimeUnit.SECONDS);
      assertFalse(r instanceof SyncResult.Success, "a cancelled run is no success: " + r);
    }
    assertThrows(IllegalStateException.class, client::sync, "closed: refused, never a hang");
    assertThrows(IllegalStateException.class, client::syncAsync);
    client.close(); // idempotent
    Thread.sleep(200);
    assertTrue(lateCallbacks.get() == 0, "no callback after close(): " + lateCallbacks.get());
  }

  @Test
  void closeDuringAFirstSyncWithAHangingPrefetchedPageReturnsWithinItsBound() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.serverWrite("tasks", "t-" + i, SyncClientTest.obj("n", i));
    }
    // Page 1 answers; page 2 (fetched ahead while page 1 is stored) hangs.
    server.enqueue("/v1/sync/snapshot", FakeServer.ok(server::snapshotAnswer));
    server.setDefault("/v1/sync/snapshot", hang());
    SyncClient client = client("snapshot");
    CompletableFuture<SyncResult> run = client.syncAsync();
    for (int i = 0; i < 400 && server.requests("/v1/sync/snapshot").size() < 2; i++) {
      Thread.sleep(25);
    }
    assertTimeoutPreemptively(CLOSE_BOUND, client::close);
    SyncResult r = run.get(CLOSE_BOUND.toSeconds(), TimeUnit.SECONDS);
    assertFalse(r instanceof SyncResult.Success, r.toString());
    boolean prefetchAlive =
        Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("syncforge-prefetch") && t.isAlive());
    assertFalse(prefetchAlive, "the prefetch thread is the client's and stops with it");
  }

  @Test
  void closeRacingSyncStartsNeverLeavesAFutureUncompleted() throws Exception {
    server.setDefault("/v1/sync/pull", hang());
    for (int i = 0; i < 15; i++) {
      SyncClient client = client("race-" + i);
      CompletableFuture<SyncResult> run = client.syncAsync();
      if (i % 3 == 1) {
        Thread.sleep(5);
      }
      assertTimeoutPreemptively(CLOSE_BOUND, client::close);
      SyncResult r = run.get(CLOSE_BOUND.toSeconds(), TimeUnit.SECONDS);
      assertInstanceOf(SyncResult.class, r);
    }
  }

  @Test
  void closeWhileLiveReturnsWithinItsBoundAndStopsTheLiveThread() throws Exception {
    server.setDefault("/v1/sync/pull", hang()); // a long-poll the server holds
    SyncClient client = client("live");
    client.startLive();
    awaitRequest("/v1/sync/pull");
    assertTimeoutPreemptively(CLOSE_BOUND, client::close);
    Thread.sleep(200);
    boolean alive =
        Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.isAlive() && t.getName().equals("syncforge-live"));
    assertFalse(alive, "the live thread stopped with the client");
    assertThrows(IllegalStateException.class, client::startLive);
  }

  @Test
  void aCleanCloseAfterASyncLeavesNoThreadBehind() throws Exception {
    SyncClient client = client("clean");
    client.collection("tasks").put("t-1", Map.of("title", "a"));
    assertInstanceOf(SyncResult.Success.class, client.sync());
    assertTimeoutPreemptively(CLOSE_BOUND, client::close);
    Thread.sleep(100);
    boolean alive =
        Thread.getAllStackTraces().keySet().stream()
            .anyMatch(
                t ->
                    t.isAlive()
                        && (t.getName().startsWith("syncforge-sync")
                            || t.getName().startsWith("syncforge-prefetch")
                            || t.getName().startsWith("syncforge-timer")));
    assertFalse(alive, "every client thread stopped");
  }
}
