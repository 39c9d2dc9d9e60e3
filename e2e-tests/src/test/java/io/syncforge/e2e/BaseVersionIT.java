package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.client.SyncRecord;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import io.syncforge.protocol.Conflict;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 1: a mutation's base version is a version the device has actually applied, so a
 * pull lost after a successful push never turns another device's edit into a silent lost update.
 * Real services, real sync-client devices; device A reaches sync-api through a {@link FaultProxy}
 * that fails its pulls on demand.
 */
class BaseVersionIT {

  private final LocalStack stack = Stack.get();

  private static SyncRecord get(Device d, String collection, String id) {
    return d.client.collection(collection).get(id).orElseThrow();
  }

  /**
   * The scenario: A and B hold r v1; B changes the title (v2); A's next push is applied
   * (v3) but its pull fails, so A never saw B's title; A then changes the title too.
   */
  private void lostPullScenario(String tenant, String collection, Expect expect) {
    try (FaultProxy proxy = new FaultProxy(stack.apiUrl());
        Device a = new Device(stack, tenant, "a", proxy.url());
        Device b = new Device(stack, tenant, "b")) {
      a.client.collection(collection).put("r", Map.of("title", "a", "done", false));
      a.syncUntilSettled();
      b.syncUntilSettled();
      assertEquals(1L, get(b, collection, "r").version());

      b.client.collection(collection).patch("r", Map.of("title", "B"));
      b.syncUntilSettled();

      a.client.collection(collection).patch("r", Map.of("done", true));
      proxy.failPulls(1);
      SyncResult failed = a.client.sync();
      assertFalse(failed instanceof SyncResult.Success, "the pull was made to fail: " + failed);
      assertEquals(1, proxy.faultsInjected());
      assertEquals(0, a.client.status().pendingCount(), "the push itself was applied");

      a.client.collection(collection).patch("r", Map.of("title", "A"));
      a.syncUntilSettled();
      a.syncUntilSettled();
      b.syncUntilSettled();

      SyncRecord onB = get(b, collection, "r");
      SyncRecord onA = get(a, collection, "r");
      assertEquals(expect.title, onB.data().get("title").asText(), "server/B title: " + onB);
      assertTrue(onB.data().get("done").asBoolean(), "A's done=true is kept: " + onB);
      assertEquals(onB.data(), onA.data(), "A converged to the server's state");
      assertEquals(onB.version(), onA.version());
      assertEquals(1, a.merged.size(), "the conflict is reported to A: " + a.merged);
      Conflict c = a.merged.get(0).conflicts().get(0);
      assertEquals("title", c.field());
      assertEquals("A", c.local().asText());
      assertEquals("B", c.server().asText());
      assertEquals(expect.title, c.resolved().asText());
      assertTrue(b.merged.isEmpty(), "B's edit was applied cleanly: " + b.merged);
    }
  }

  private enum Expect {
    SERVER_WINS("B"),
    CLIENT_WINS("A"),
    LAST_WRITER_WINS("A");

    final String title;

    Expect(String title) {
      this.title = title;
    }
  }

  @Test
  void aLostPullNeverLetsServerWinsOverwriteAnotherDevicesEdit() {
    lostPullScenario("t-base-sw", "notes", Expect.SERVER_WINS);
  }

  @Test
  void underClientWinsTheLaterDeviceWinsButTheConflictIsStillReported() {
    lostPullScenario("t-base-cw", "cwnotes", Expect.CLIENT_WINS);
  }

  @Test
  void underLastWriterWinsTheLaterEditWinsAndTheConflictIsReported() {
    lostPullScenario("t-base-lww", "lwwnotes", Expect.LAST_WRITER_WINS);
  }

  /**
   * A edits the SAME field twice with a lost pull between, while B edited another field: A's second
   * edit is based on v1 (the last version A applied) and must not conflict with A's own first edit
   * (the writer's rule "a device never conflicts with itself").
   */
  @Test
  void aDeviceNeverConflictsWithItsOwnEditItDidNotPull() {
    String tenant = "t-base-self";
    try (FaultProxy proxy = new FaultProxy(stack.apiUrl());
        Device a = new Device(stack, tenant, "a", proxy.url());
        Device b = new Device(stack, tenant, "b")) {
      a.client.collection("notes").put("r", Map.of("title", "a", "done", false));
      a.syncUntilSettled();
      b.syncUntilSettled();

      b.client.collection("notes").patch("r", Map.of("title", "B"));
      b.syncUntilSettled(); // v2

      a.client.collection("notes").patch("r", Map.of("done", true));
      proxy.failPulls(1);
      assertFalse(a.client.sync() instanceof SyncResult.Success); // v3 applied, pull lost

      a.client.collection("notes").patch("r", Map.of("done", false));
      a.syncUntilSettled();
      b.syncUntilSettled();

      SyncRecord onB = get(b, "notes", "r");
      assertEquals("B", onB.data().get("title").asText(), "B's title kept: " + onB);
      assertFalse(onB.data().get("done").asBoolean(), "A's last edit wins over A's own: " + onB);
      assertEquals(onB.data(), get(a, "notes", "r").data());
      assertTrue(a.merged.isEmpty(), "no conflict of A with itself: " + a.merged);
      assertTrue(b.merged.isEmpty(), "B had no conflict: " + b.merged);
    }
  }

  /** The happy path still settles cleanly: nothing came between, so A's edits never conflict. */
  @Test
  void consecutiveEditsWithoutAnyoneBetweenNeverConflict() {
    String tenant = "t-base-seq";
    try (FaultProxy proxy = new FaultProxy(stack.apiUrl());
        Device a = new Device(stack, tenant, "a", proxy.url());
        Device b = new Device(stack, tenant, "b")) {
      a.client.collection("notes").put("r", Map.of("title", "0"));
      a.syncUntilSettled();
      for (int i = 1; i <= 5; i++) {
        a.client.collection("notes").patch("r", Map.of("title", "t" + i));
        proxy.failPulls(1); // every pull lost: only the own-outcome rule (v == base + 1) helps
        SyncResult r = a.client.sync();
        assertFalse(r instanceof SyncResult.Success, "pull failed: " + r);
      }
      a.syncUntilSettled();
      b.syncUntilSettled();
      assertEquals("t5", get(b, "notes", "r").data().get("title").asText());
      assertEquals(6L, get(b, "notes", "r").version());
      assertEquals(6L, get(a, "notes", "r").version());
      assertTrue(a.merged.isEmpty(), "no conflicts: " + a.merged);
    }
  }
}
