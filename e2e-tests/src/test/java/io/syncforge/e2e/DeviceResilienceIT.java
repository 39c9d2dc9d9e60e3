package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.client.SyncClient;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, items 2 and 3 against the real services: a device whose pushes the deployment refuses
 * as a whole still drains the rest of its queue and still pulls; {@code close()} during a sync
 * whose request hangs returns within its bound and nobody waiting on {@code sync()} hangs.
 */
class DeviceResilienceIT {

  private final LocalStack stack = Stack.get();

  @Test
  void aDeviceWithARefusedBatchStillDrainsTheRestAndStillPulls() {
    String tenant = "t-poison";
    try (FaultProxy proxy = new FaultProxy(stack.apiUrl());
        Device a = new Device(stack, tenant, "a", proxy.url());
        Device b = new Device(stack, tenant, "b")) {
      // The deployment refuses collection "secret" for the whole request (422 unknown_collection).
      proxy.inject(
          "/v1/sync/push",
          new FaultProxy.RefuseBody("\"collection\":\"secret\"", 422, "unknown_collection"),
          1);
      b.client.collection("notes").put("from-b", Map.of("title", "hello"));
      b.syncUntilSettled();
      for (int i = 0; i < 20; i++) {
        a.client.collection("notes").put("n" + i, Map.of("i", i));
      }
      a.client.collection("secret").put("s", Map.of("x", 1));

      SyncResult.Success s = a.syncUntilSettled();
      assertEquals(0, a.client.status().pendingCount(), "queue drained: " + s);
      assertEquals(1, a.rejected.size(), "the refused edit is reported: " + a.rejected);
      assertEquals("unknown_collection", a.rejected.get(0).error().code());
      assertTrue(a.client.collection("secret").get("s").isEmpty());
      assertTrue(a.client.collection("notes").get("from-b").isPresent(), "a still pulls");

      b.syncUntilSettled();
      assertEquals(21, b.client.collection("notes").list().size(), "a's 20 notes arrived");
      // Everybody else is unaffected: a fresh tenant's write becomes final at once.
      try (Device fresh = new Device(stack, "t-poison-fresh", "f")) {
        fresh.client.collection("notes").put("x", Map.of("ok", true));
        assertEquals(0, fresh.syncUntilSettled().stillPending());
      }
    }
  }

  @Test
  void aFirstSyncKilledMidWayResumesWhereItStopped() throws Exception {
    String tenant = "t-resume";
    try (Device b = new Device(stack, tenant, "b")) {
      for (int i = 0; i < 60; i++) {
        b.client.collection("notes").put(String.format("n%02d", i), Map.of("i", i));
      }
      b.syncUntilSettled();
    }
    java.nio.file.Path db =
        java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target"), "resume-")
            .resolve("c.db");
    try (FaultProxy proxy = new FaultProxy(stack.apiUrl())) {
      proxy.inject("/v1/sync/snapshot", new FaultProxy.Pass(), 3);
      proxy.inject("/v1/sync/snapshot", new FaultProxy.Answer(503, null), 1);
      try (SyncClient c = resumeClient(proxy, db)) {
        assertFalse(c.sync() instanceof SyncResult.Success, "killed at page 4 of 6");
        assertEquals(30, c.collection("notes").list().size(), "three pages stored");
      }
      int forwardedBefore = proxy.forwarded();
      try (SyncClient c = resumeClient(proxy, db)) { // the app starts again
        SyncResult r = c.sync();
        assertTrue(r instanceof SyncResult.Success, r.toString());
        assertEquals(60, c.collection("notes").list().size());
        assertEquals(60, c.status().firstSyncRecords());
        // pages 4..6 and the pull after the snapshot: never page 1 again
        assertEquals(4, proxy.forwarded() - forwardedBefore, "resumed at page 4");
      }
    }
  }

  private SyncClient resumeClient(FaultProxy proxy, java.nio.file.Path db) {
    return SyncClient.builder()
        .baseUrl(proxy.url())
        .database(db)
        .token(stack.token("t-resume", "c"))
        .snapshotPageSize(10)
        .mediaDuringSync(false)
        .build();
  }

  @Test
  void closeDuringAHangingPullReturnsWithinItsBoundAndSyncNeverHangs() throws Exception {
    String tenant = "t-close";
    try (FaultProxy proxy = new FaultProxy(stack.apiUrl())) {
      Device a = new Device(stack, tenant, "a", proxy.url());
      a.client.collection("notes").put("n1", Map.of("title", "x"));
      proxy.inject("/v1/sync/pull", new FaultProxy.Hold(), 1);
      CompletableFuture<SyncResult> running = a.client.syncAsync();
      CompletableFuture<SyncResult> waiting = CompletableFuture.supplyAsync(a.client::sync);
      for (int i = 0; i < 400 && proxy.faultsInjected() == 0; i++) {
        Thread.sleep(25);
      }
      assertEquals(1, proxy.faultsInjected(), "the pull is held");
      long t0 = System.nanoTime();
      assertTimeoutPreemptively(SyncClient.CLOSE_TIMEOUT.plusSeconds(5), a::close);
      long closeMs = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("DeviceResilienceIT: close() during a held pull took " + closeMs + " ms");
      for (CompletableFuture<SyncResult> f : new CompletableFuture[] {running, waiting}) {
        SyncResult r = f.get(10, TimeUnit.SECONDS);
        assertFalse(r instanceof SyncResult.Success, r.toString());
      }
      assertThrows(IllegalStateException.class, a.client::sync);
    }
  }
}
