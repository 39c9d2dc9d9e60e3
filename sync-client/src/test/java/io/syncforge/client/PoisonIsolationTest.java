package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.Problem;
import io.syncforge.protocol.PushRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, item 2: a whole-request refusal of a push is isolated to the mutations that cause it;
 * the rest of the queue goes through, the pull always runs, and the app can see and drop what is
 * queued.
 */
class PoisonIsolationTest {
  @TempDir Path dir;
  FakeServer server;
  SyncClient client;
  final List<MutationOutcome> rejected = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeServer();
    // A deployment that does not allow collection "secret" and whose push limit is 4 mutations.
    server.setDefault(
        "/v1/sync/push",
        (ex, body) -> {
          PushRequest req = FakeServer.MAPPER.readValue(body, PushRequest.class);
          if (req.mutations().stream().anyMatch(m -> m.collection().equals("secret"))) {
            FakeServer.send(
                ex,
                422,
                Problem.of(ErrorCode.UNKNOWN_COLLECTION, "unknown collection 'secret'", "t"));
          } else if (req.mutations().size() > 4) {
            FakeServer.send(
                ex, 413, Problem.of(ErrorCode.PAYLOAD_TOO_LARGE, "at most 4 mutations", "t"));
          } else {
            FakeServer.send(ex, 200, server.pushAnswer(ex, body));
          }
        });
    client =
        server
            .client(dir.resolve("client.db"))
            .conflictListener(ConflictListener.onRejected(rejected::add))
            .build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.close();
  }

  @Test
  void aRefusedCollectionIsRejectedLocallyAndEverythingElseGoesThroughAndThePullRuns() {
    server.serverWrite("notes", "from-server", SyncClientTest.obj("title", "hello"));
    for (int i = 0; i < 10; i++) {
      client.collection("notes").put("n" + i, Map.of("i", i));
    }
    client.collection("secret").put("s1", Map.of("x", 1));
    client.collection("secret").put("s2", Map.of("x", 2));

    SyncResult r = client.sync();
    SyncResult.Success s = assertInstanceOf(SyncResult.Success.class, r);
    assertEquals(2, s.rejected(), r.toString());
    assertEquals(0, client.status().pendingCount(), "the queue drained");
    assertEquals(2, rejected.size(), "the listener heard of both");
    for (MutationOutcome o : rejected) {
      assertEquals("secret", o.collection());
      assertEquals("unknown_collection", o.error().code());
    }
    assertTrue(client.collection("secret").get("s1").isEmpty(), "the refused edit is gone");
    assertEquals(10, client.collection("notes").list().size() - 1, "ten own notes applied");
    assertTrue(client.collection("notes").get("from-server").isPresent(), "the pull ran");
    for (int i = 0; i < 10; i++) {
      assertEquals(1L, client.collection("notes").get("n" + i).orElseThrow().version());
    }
  }

  @Test
  void aPermanentPushFailureStillLetsThePullRun() {
    server.setDefault("/v1/sync/push", FakeServer.problem(ErrorCode.FORBIDDEN));
    server.serverWrite("notes", "from-server", SyncClientTest.obj("title", "hello"));
    client.collection("notes").put("mine", Map.of("title", "x"));
    SyncResult r = client.sync();
    assertInstanceOf(SyncResult.ServerError.class, r, "the push failure is reported");
    assertTrue(
        client.collection("notes").get("from-server").isPresent(),
        "the device still receives everybody else's changes");
    assertEquals(1, client.status().pendingCount(), "a 403 is not the edit's fault: kept");
  }

  @Test
  void pendingMutationsShowsTheQueueAndDiscardDropsOneAndRestoresTheRecord() {
    server.serverWrite("notes", "n1", SyncClientTest.obj("title", "server"));
    assertInstanceOf(SyncResult.Success.class, client.sync());
    client.collection("notes").patch("n1", Map.of("title", "mine"));
    client.collection("notes").put("n2", Map.of("title", "new"));
    List<PendingMutation> queue = client.pendingMutations();
    assertEquals(2, queue.size());
    assertEquals("n1", queue.get(0).mutation().recordId());
    assertEquals(1L, queue.get(0).mutation().baseVersion());
    assertEquals(0, queue.get(0).attempts());

    assertTrue(client.discard(queue.get(0).mutation().mutationId()));
    assertFalse(client.discard(queue.get(0).mutation().mutationId()), "only once");
    assertEquals(
        "server",
        client.collection("notes").get("n1").orElseThrow().data().get("title").asText(),
        "the server state shows again");
    assertTrue(client.discard(queue.get(1).mutation().mutationId()));
    assertTrue(client.collection("notes").get("n2").isEmpty(), "a never-synced record is gone");
    assertEquals(0, client.status().pendingCount());
    assertInstanceOf(SyncResult.Success.class, client.sync());
    assertTrue(server.requests("/v1/sync/push").isEmpty(), "nothing discarded was sent");
  }
}
