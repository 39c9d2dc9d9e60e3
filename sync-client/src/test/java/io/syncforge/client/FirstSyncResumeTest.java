package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Problem;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, item 6: a first sync continues where it stopped, and page sizes adapt. */
class FirstSyncResumeTest {
  @TempDir Path dir;
  FakeServer server;

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeServer();
    for (int i = 0; i < 50; i++) {
      server.serverWrite("notes", String.format("n%02d", i), SyncClientTest.obj("i", i));
    }
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  /** Answers with {@code sim}, or 400 for a {@code limit} above 8 (a server's smaller maximum). */
  private static FakeServer.Handler limitAtMost8(FakeServer.Sim sim) {
    return (ex, body) -> {
      int limit = Integer.parseInt(FakeServer.query(ex).get("limit"));
      if (limit > 8) {
        FakeServer.send(ex, 400, Problem.of(ErrorCode.INVALID_REQUEST, "limit must be 1..8", "t"));
      } else {
        FakeServer.send(ex, 200, sim.answer(ex, body));
      }
    };
  }

  private SyncClient client(int pageSize) {
    return server.client(dir.resolve("client.db")).snapshotPageSize(pageSize).build();
  }

  @Test
  void aFirstSyncKilledAtPageThreeOfFiveResumesThereInANewProcess() {
    // Pages 1 and 2 answer; the third request (page 3) fails like a dropped network.
    server.enqueue("/v1/sync/snapshot", FakeServer.ok(server::snapshotAnswer));
    server.enqueue("/v1/sync/snapshot", FakeServer.ok(server::snapshotAnswer));
    server.enqueue("/v1/sync/snapshot", FakeServer.problem(ErrorCode.UNAVAILABLE));
    try (SyncClient c = client(10)) {
      SyncResult r = c.sync();
      assertFalse(r instanceof SyncResult.Success, r.toString());
      assertEquals(20, c.collection("notes").list().size(), "two pages stored");
    }
    int before = server.requests("/v1/sync/snapshot").size();
    try (SyncClient c = client(10)) { // a new process on the same file
      assertInstanceOf(SyncResult.Success.class, c.sync());
      assertEquals(50, c.collection("notes").list().size());
      List<FakeServer.Req> again =
          server
              .requests("/v1/sync/snapshot")
              .subList(before, server.requests("/v1/sync/snapshot").size());
      assertEquals(3, again.size(), "pages 3..5 only: " + again.size());
      assertNotNull(again.get(0).query().get("pageToken"), "resumed from the stored token");
      assertTrue(again.get(0).query().get("pageToken").startsWith("20:"), "at page 3");
      assertEquals(50, c.status().firstSyncRecords(), "progress counts the stored pages too");
    }
  }

  @Test
  void aPageSizeAboveTheServersMaximumIsHalvedUntilAccepted() {
    server.setDefault("/v1/sync/snapshot", limitAtMost8(server::snapshotAnswer));
    server.setDefault("/v1/sync/pull", limitAtMost8(server::pullAnswer));
    try (SyncClient c = client(50)) {
      assertInstanceOf(SyncResult.Success.class, c.sync());
      assertEquals(50, c.collection("notes").list().size());
      server.serverWrite("notes", "late", SyncClientTest.obj("i", 99));
      assertInstanceOf(SyncResult.Success.class, c.sync());
      assertTrue(c.collection("notes").get("late").isPresent());
    }
  }
}
