package io.syncforge.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.syncforge.client.SyncRecord;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ConflictPolicy;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.Op;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStoreTest {
  static final ObjectMapper MAPPER = Json.newMapper();
  static final Instant T = Instant.parse("2026-11-25T22:00:00Z");
  @TempDir Path dir;
  LocalStore store;

  @BeforeEach
  void open() {
    store = new LocalStore(dir.resolve("s.db"), MAPPER, Clock.fixed(T, ZoneOffset.UTC));
  }

  @AfterEach
  void close() {
    store.close();
  }

  /** One snapshot page holding {@code change} (a single-record page). */
  private void snapshotPage(long gen, boolean last, String token, String cursor, Change change) {
    store.applySnapshotPage(
        new io.syncforge.protocol.SnapshotPage(List.of(change), token, cursor),
        gen,
        last,
        List.of());
  }

  /** An own upsert sent and answered applied at {@code version} (the only queued mutation). */
  private void pushedAndApplied(String id, ObjectNode data, long version) {
    store.write("tasks", id, Op.UPSERT, data);
    Mutation m = store.queue().get(0).mutation();
    store.claimForSending(List.of(m.mutationId()));
    store.applyOutcomes(List.of(MutationOutcome.applied(m, version)));
  }

  static ObjectNode obj(Object... kv) {
    ObjectNode o = MAPPER.createObjectNode();
    for (int i = 0; i < kv.length; i += 2) {
      o.set((String) kv[i], MAPPER.valueToTree(kv[i + 1]));
    }
    return o;
  }

  @Test
  void failureBetweenRecordWriteAndQueueInsertLeavesNeither() {
    store.write("tasks", "t-1", Op.UPSERT, obj("title", "a"));
    store.setAfterRecordWriteHook(
        () -> {
          throw new IllegalStateException("injected crash");
        });

    assertThrows(
        IllegalStateException.class,
        () -> store.write("tasks", "t-2", Op.UPSERT, obj("title", "b")));
    assertThrows(
        IllegalStateException.class,
        () -> store.write("tasks", "t-1", Op.PATCH, obj("title", "z")));
    assertThrows(IllegalStateException.class, () -> store.write("tasks", "t-1", Op.DELETE, null));

    assertTrue(store.get("tasks", "t-2").isEmpty());
    assertEquals(obj("title", "a"), store.get("tasks", "t-1").orElseThrow().data());
    assertEquals(1, store.pendingCount());
    assertEquals(1, store.queue().size());
    assertEquals(obj("title", "a"), store.queue().get(0).mutation().data(), "fold rolled back");
  }

  @Test
  void aClaimedMutationIsSentAsOfTheClaimAndNeverRewrittenAfter() {
    store.write("tasks", "t-1", Op.UPSERT, obj("title", "a"));
    Mutation seenBySync = store.queue().get(0).mutation();
    store.write("tasks", "t-1", Op.PATCH, obj("title", "b")); // folds: not claimed yet

    List<Mutation> claimed = store.claimForSending(List.of(seenBySync.mutationId()));
    assertEquals(obj("title", "b"), claimed.get(0).data(), "the claim reads the folded content");

    store.write("tasks", "t-1", Op.PATCH, obj("title", "c")); // after the claim: a new mutation
    assertEquals(2, store.queue().size());
    assertEquals(obj("title", "b"), store.queue().get(0).mutation().data());
    assertEquals(obj("title", "c"), store.queue().get(1).mutation().data());
  }

  @Test
  void foldKeepsTheFirstIdAndBaseAndTheCombinedEffect() {
    java.util.UUID id = java.util.UUID.randomUUID();
    Mutation up = new Mutation(id, "tasks", "t", Op.UPSERT, 3L, obj("a", 1, "b", 2), T);
    Mutation patch1 = new Mutation(id, "tasks", "t", Op.PATCH, 3L, obj("a", 5), T);
    Mutation patch2 = new Mutation(null, "tasks", "t", Op.PATCH, 3L, obj("b", null), T);
    Mutation del = new Mutation(null, "tasks", "t", Op.DELETE, 3L, null, T);
    Mutation up2 = new Mutation(null, "tasks", "t", Op.UPSERT, 3L, obj("z", 1), T);

    Mutation f1 = LocalStore.fold(up, patch2);
    assertEquals(Op.UPSERT, f1.op());
    assertEquals(obj("a", 1), f1.data());
    assertEquals(id, f1.mutationId());
    assertEquals(3L, f1.baseVersion());
    Mutation f2 = LocalStore.fold(patch1, patch2);
    assertEquals(Op.PATCH, f2.op());
    assertEquals(obj("a", 5, "b", null), f2.data(), "a null removal survives the fold");
    assertEquals(Op.DELETE, LocalStore.fold(patch1, del).op());
    Mutation f3 = LocalStore.fold(LocalStore.fold(up, del), up2);
    assertEquals(Op.UPSERT, f3.op());
    assertEquals(obj("z", 1), f3.data());
  }

  @Test
  void killedWriterMidTransactionLeavesNeitherRecordNorQueueEntry() throws Exception {
    store.close();
    Path db = dir.resolve("crash.db");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                CrashingWriter.class.getName(),
                db.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(42, p.exitValue(), "the child halted inside the transaction");

    store = new LocalStore(db, MAPPER, Clock.systemUTC());
    assertTrue(store.get("tasks", "committed").isPresent());
    assertTrue(store.get("tasks", "torn").isEmpty());
    assertEquals(1, store.pendingCount());
    assertEquals("committed", store.queue().get(0).mutation().recordId());
    assertEquals("wal", store.journalMode());
  }

  @Test
  void schemaIsMigratedOnceAndClientIdKept() {
    assertEquals(1, store.schemaVersion());
    String id = store.clientId();
    store.close();
    store = new LocalStore(dir.resolve("s.db"), MAPPER, Clock.systemUTC());
    assertEquals(1, store.schemaVersion());
    assertEquals(id, store.clientId());
  }

  @Test
  void writeQueuesMutationWithBaseVersionAndOnlyChangedFields() {
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 4, false, obj("a", 1, "b", 2), T)), List.of(), "c1");
    store.write("tasks", "t-1", Op.PATCH, obj("a", 1, "b", 3));
    Mutation m = store.queue().get(0).mutation();
    assertEquals(Op.PATCH, m.op());
    assertEquals(4L, m.baseVersion());
    assertEquals(obj("b", 3), m.data());
    assertEquals(T, m.clientTime());
    assertFalse(store.write("tasks", "t-1", Op.PATCH, obj("b", 3)).queued(), "no-op patch");
    assertThrows(
        NoSuchElementException.class, () -> store.write("tasks", "nope", Op.PATCH, obj("a", 1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> store.write("tasks", "bad/id", Op.UPSERT, obj("a", 1)));
  }

  @Test
  void pulledStateKeepsPendingOverlayAndOlderVersionsAreIgnored() {
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 1, false, obj("title", "a", "n", 1), T)),
        List.of(),
        "c1");
    store.write("tasks", "t-1", Op.PATCH, obj("title", "mine"));

    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 2, false, obj("title", "a", "n", 2), T)),
        List.of(),
        "c2");
    SyncRecord r = store.get("tasks", "t-1").orElseThrow();
    assertEquals(obj("title", "mine", "n", 2), r.data());
    assertTrue(r.pending());
    assertEquals(2L, r.version());

    // A re-delivered older version changes nothing.
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 1, false, obj("title", "old"), T)), List.of(), "c3");
    assertEquals(obj("title", "mine", "n", 2), store.get("tasks", "t-1").orElseThrow().data());
    assertEquals("c3", store.meta(LocalStore.META_CURSOR).orElseThrow());

    // A server tombstone under a pending patch still shows the user's edit.
    store.applyPullPage(List.of(new Change("tasks", "t-1", 3, true, null, T)), List.of(), "c4");
    assertEquals(obj("title", "mine", "n", 2), store.get("tasks", "t-1").orElseThrow().data());

    // The receipt settles the mutation; the server's answer (version 4) is what shows then.
    Mutation m = store.queue().get(0).mutation();
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 4, false, obj("title", "mine", "n", 2), T)),
        List.of(MutationOutcome.applied(m, 4)),
        "c5");
    assertEquals(0, store.pendingCount());
    assertFalse(store.get("tasks", "t-1").orElseThrow().pending());
  }

  @Test
  void appliedOutcomeKeepsTheEditVisibleUntilThePullBringsItsVersion() {
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 1, false, obj("title", "a"), T)), List.of(), "c1");
    store.write("tasks", "t-1", Op.PATCH, obj("title", "b"));
    Mutation m = store.queue().get(0).mutation();
    // Version 3: another device's change (v2) came between, so the outcome is not adopted.
    store.applyOutcomes(List.of(MutationOutcome.applied(m, 3)));
    assertEquals(obj("title", "b"), store.get("tasks", "t-1").orElseThrow().data());
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 2, false, obj("title", "a", "x", 1), T)),
        List.of(),
        "c2");
    assertEquals(obj("title", "b"), store.get("tasks", "t-1").orElseThrow().data());
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 3, false, obj("title", "b", "x", 1), T)),
        List.of(),
        "c3");
    assertEquals(obj("title", "b", "x", 1), store.get("tasks", "t-1").orElseThrow().data());
  }

  /**
   * Issue 15, found by the e2e fault campaign (FaultCampaignIT through the fault proxy): a push
   * whose response was lost after the server applied it, a pull that brought the post-images while
   * both edits were still queued (the queued upsert, replayed on top, hid the other device's
   * field), then the retried push answered with the final outcomes. With the queue empty the
   * visible state must be the server's; it kept the stale replay.
   */
  @Test
  void outcomesSettledAfterThePullBroughtTheirVersionsShowTheServerState() {
    // Another device created the record (v1); this device has not pulled it yet.
    store.write("notes", "s", Op.UPSERT, obj("d2", "v132"));
    Mutation upsert = store.queue().get(0).mutation();
    store.claimForSending(List.of(upsert.mutationId())); // sent; the response is lost
    store.write("notes", "s", Op.PATCH, obj("d2", "v682"));
    Mutation patch = store.queue().get(1).mutation();
    store.claimForSending(List.of(patch.mutationId())); // sent; the response is lost
    // The pull runs anyway: v1 (the other device), v2 (the upsert, merged: server-wins kept d1),
    // v3 (the patch).
    store.applyPullPage(
        List.of(
            new Change("notes", "s", 1, false, obj("d1", "v895"), T),
            new Change("notes", "s", 2, false, obj("d1", "v895", "d2", "v132"), T),
            new Change("notes", "s", 3, false, obj("d1", "v895", "d2", "v682"), T)),
        List.of(),
        "c1");
    // The retried push is answered with the final outcomes.
    store.applyOutcomes(
        List.of(
            MutationOutcome.merged(
                upsert,
                2,
                List.of(
                    new Conflict(
                        "d1",
                        null,
                        TextNode.valueOf("v895"),
                        TextNode.valueOf("v895"),
                        ConflictPolicy.SERVER_WINS))),
            MutationOutcome.applied(patch, 3)));
    assertEquals(0, store.pendingCount());
    assertEquals(obj("d1", "v895", "d2", "v682"), store.get("notes", "s").orElseThrow().data());
  }

  /**
   * A push's claim and its outcomes go to SQLite in IN (...) batches of 500 (issue 12, 1,000
   * edits): across a batch boundary every mutation is claimed once, settled once, its version
   * adopted, and a pending one stays queued as pending.
   */
  @Test
  void aLargePushIsClaimedAndSettledInBatchesAcrossTheBoundary() {
    int n = QueueTable.IN_BATCH + 201;
    for (int i = 0; i < n; i++) {
      store.write("tasks", "t-" + i, Op.UPSERT, obj("i", i));
    }
    List<Mutation> queued = store.queue().stream().map(LocalStore.Queued::mutation).toList();
    List<java.util.UUID> ids = new java.util.ArrayList<>();
    queued.forEach(m -> ids.add(m.mutationId()));
    ids.add(ids.get(3)); // a repeated id is claimed once
    ids.add(java.util.UUID.randomUUID()); // an id no longer queued is skipped
    List<Mutation> claimed = store.claimForSending(ids);
    assertEquals(queued, claimed, "claimed once each, in the order asked");
    assertTrue(store.queue().stream().allMatch(q -> q.attempts() == 1), "one attempt each");

    List<MutationOutcome> outcomes = new java.util.ArrayList<>();
    for (int i = 0; i < n - 1; i++) {
      outcomes.add(MutationOutcome.applied(queued.get(i), 1));
    }
    outcomes.add(MutationOutcome.pending(queued.get(n - 1)));
    LocalStore.Effects fx = store.applyOutcomes(outcomes);
    assertEquals(n - 1, fx.settled);
    assertEquals(1, store.pendingCount());
    assertEquals("pending", store.queue().get(0).state());
    assertEquals(queued.get(n - 1).mutationId(), store.queue().get(0).mutation().mutationId());
    for (int i : new int[] {0, QueueTable.IN_BATCH - 1, QueueTable.IN_BATCH, n - 2}) {
      SyncRecord r = store.get("tasks", "t-" + i).orElseThrow();
      assertEquals(1L, r.version(), "v1 adopted: nothing can have come before it");
      assertEquals(obj("i", i), r.data());
      assertFalse(r.pending());
    }
    assertTrue(store.get("tasks", "t-" + (n - 1)).orElseThrow().pending());
    // Settling again (a receipt after the push answer) changes nothing.
    assertEquals(0, store.applyOutcomes(outcomes).settled);
  }

  /**
   * The last page of a snapshot scans the whole table for records the snapshot did not hold (to
   * turn them into tombstones) only when one can exist: never on a first sync into an empty
   * database, always after a server row outside the snapshot was stored and on a reset.
   */
  @Test
  void theTombstoneScanRunsOnlyWhenARecordCanBeMissingFromTheSnapshot() {
    long gen = store.beginSnapshot();
    assertEquals("0", store.meta(LocalStore.META_SNAPSHOT_STALE).orElseThrow(), "empty database");
    snapshotPage(gen, false, "tok", "c0", new Change("tasks", "r1", 1, false, obj("a", 1), T));
    // An own push outcome adopted meanwhile is a server row the snapshot may not hold.
    pushedAndApplied("x", obj("x", 1), 1);
    assertEquals("1", store.meta(LocalStore.META_SNAPSHOT_STALE).orElseThrow(), "scan needed");
    snapshotPage(gen, true, null, "c1", new Change("tasks", "r2", 1, false, obj("a", 2), T));
    assertTrue(store.meta(LocalStore.META_SNAPSHOT_STALE).isEmpty(), "cleared with the cursor");
    assertEquals("c1", store.meta(LocalStore.META_CURSOR).orElseThrow());
    assertTrue(store.get("tasks", "r1").isPresent());
    assertTrue(store.get("tasks", "r2").isPresent());

    // A reset on a database with live server rows scans: r1, gone from the server, goes.
    long gen2 = store.beginSnapshot();
    assertEquals("1", store.meta(LocalStore.META_SNAPSHOT_STALE).orElseThrow());
    snapshotPage(gen2, true, null, "c2", new Change("tasks", "r2", 1, false, obj("a", 2), T));
    assertTrue(store.get("tasks", "r1").isEmpty(), "not in the snapshot: a tombstone");
    assertTrue(store.get("tasks", "r2").isPresent());
  }

  /**
   * A record this device created and had adopted (v1) while a snapshot ran, after the snapshot
   * began: the snapshot does not hold it, so its last page turns it into a tombstone; the pull from
   * the snapshot's cursor then brings its change at version 1, which must replace that inferred
   * tombstone (it was skipped as "not newer than v1", and the device lost its own record while
   * every other device and the server had it).
   */
  @Test
  void anOwnRecordMissingFromTheSnapshotComesBackWithThePullAfterIt() {
    long gen = store.beginSnapshot();
    snapshotPage(gen, false, "tok", "c0", new Change("tasks", "r1", 1, false, obj("a", 1), T));
    pushedAndApplied("x", obj("x", 1), 1);
    snapshotPage(gen, true, null, "c1", new Change("tasks", "r2", 1, false, obj("a", 2), T));
    assertTrue(store.get("tasks", "x").isEmpty(), "not in the snapshot: a tombstone for now");
    store.applyPullPage(
        List.of(new Change("tasks", "x", 1, false, obj("x", 1), T)), List.of(), "c2");
    SyncRecord x = store.get("tasks", "x").orElseThrow(() -> new AssertionError("x lost"));
    assertEquals(obj("x", 1), x.data());
    assertEquals(1L, x.version());
    // An older change over a tombstone the server sent stays ignored, as before.
    store.applyPullPage(List.of(new Change("tasks", "r2", 2, true, null, T)), List.of(), "c3");
    store.applyPullPage(
        List.of(new Change("tasks", "r2", 1, false, obj("a", 2), T)), List.of(), "c4");
    assertTrue(store.get("tasks", "r2").isEmpty(), "a pulled tombstone is not inferred");
  }

  /**
   * A first sync that dies in the middle of a page (two of its chunks committed, the third fails
   * like a killed process) resumes in a new store from that page's token: the page is applied
   * again, nothing is lost or doubled, and with no scan needed nothing turns into a tombstone.
   */
  @Test
  void aFirstSyncDeadMidPageResumesFromThatPage() {
    store.close();
    java.util.concurrent.atomic.AtomicInteger inserts =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean armed =
        new java.util.concurrent.atomic.AtomicBoolean();
    SqlDriver real = new JdbcSqlDriver();
    SqlDriver dying =
        (file, readOnly) -> {
          SqlDriver.Connection c = real.open(file, readOnly);
          return new SqlDriver.Connection() {
            public void execute(String sql) {
              c.execute(sql);
            }

            public int update(String sql, Object... args) {
              // The 10 multi-row INSERTs of a 1,000-record chunk: die in the third chunk.
              if (armed.get()
                  && sql.startsWith("INSERT INTO records")
                  && inserts.incrementAndGet() > 25) {
                throw new IllegalStateException("killed mid-page");
              }
              return c.update(sql, args);
            }

            public <T> List<T> query(String sql, SqlDriver.RowMapper<T> m, Object... args) {
              return c.query(sql, m, args);
            }

            public void begin() {
              c.begin();
            }

            public void commit() {
              c.commit();
            }

            public void rollback() {
              c.rollback();
            }

            public void close() {
              c.close();
            }
          };
        };
    Path file = dir.resolve("s.db");
    io.syncforge.protocol.SnapshotPage[] pages = new io.syncforge.protocol.SnapshotPage[2];
    for (int p = 0; p < 2; p++) {
      List<Change> records = new java.util.ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        records.add(new Change("tasks", String.format("r%d-%05d", p, i), 1, false, obj("i", i), T));
      }
      pages[p] = new io.syncforge.protocol.SnapshotPage(records, p == 0 ? "page2" : null, "c9");
    }
    LocalStore first = new LocalStore(dying, file, MAPPER, Clock.fixed(T, ZoneOffset.UTC));
    long gen = first.beginSnapshot();
    first.applySnapshotPage(pages[0], gen, false, List.of(), "all");
    armed.set(true);
    assertThrows(
        IllegalStateException.class,
        () -> first.applySnapshotPage(pages[1], gen, true, List.of(), "all"));
    first.close();

    store = new LocalStore(file, MAPPER, Clock.fixed(T, ZoneOffset.UTC)); // a new process
    assertEquals("page2", store.snapshotResumeToken("all").orElseThrow(), "page 1 is done");
    assertEquals(5000 + 2000, store.countSnapGen(store.snapshotGen()), "two chunks of page 2");
    store.applySnapshotPage(pages[1], store.snapshotGen(), true, List.of(), "all");
    assertEquals(10_000, store.list("tasks").size());
    assertEquals(10_000, store.countSnapGen(store.snapshotGen()));
    assertEquals("c9", store.meta(LocalStore.META_CURSOR).orElseThrow());
    assertTrue(store.snapshotResumeToken("all").isEmpty());
    assertTrue(store.meta(LocalStore.META_SNAPSHOT_STALE).isEmpty());
  }

  /** Issue 12: a base version is a version the device applied, never one it only heard of. */
  @Test
  void anOwnOutcomeRaisesTheBaseOnlyWhenNothingCanHaveComeBetween() {
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 1, false, obj("title", "a", "done", false), T)),
        List.of(),
        "c1");
    // Applied as v2 = v1 + 1: nothing came between, the device knows the state at v2 (an
    // upsert's data; a patch is never adopted, see anAppliedPatchThatChangedNothing...).
    store.write("tasks", "t-1", Op.UPSERT, obj("title", "a", "done", true));
    Mutation first = store.queue().get(0).mutation();
    assertEquals(1L, first.baseVersion());
    store.applyOutcomes(List.of(MutationOutcome.applied(first, 2)));
    assertEquals(2L, store.get("tasks", "t-1").orElseThrow().version());

    // Applied as v4: v3 may hold another device's edit this device never pulled.
    store.write("tasks", "t-1", Op.PATCH, obj("title", "x"));
    Mutation second = store.queue().get(0).mutation();
    assertEquals(2L, second.baseVersion());
    store.applyOutcomes(List.of(MutationOutcome.applied(second, 4)));
    assertEquals(2L, store.get("tasks", "t-1").orElseThrow().version());
    assertEquals(obj("title", "x", "done", true), store.get("tasks", "t-1").orElseThrow().data());
    store.write("tasks", "t-1", Op.PATCH, obj("title", "y"));
    assertEquals(2L, store.queue().get(0).mutation().baseVersion(), "not raised to the unseen v4");
  }

  /**
   * A record stored from the server and never edited here keeps its JSON once ({@code data} NULL
   * shows {@code server_data}): a first sync writes half the bytes. It still reads, pulls over and
   * edits like any other.
   */
  @Test
  void aServerRecordNeverEditedHereIsStoredOnce() throws Exception {
    long gen = store.beginSnapshot();
    snapshotPage(gen, true, null, "c1", new Change("tasks", "s", 1, false, obj("a", 1), T));
    assertEquals(List.of("null|{\"a\":1}"), rawRows("s"), "one copy of the JSON");
    assertEquals(obj("a", 1), store.get("tasks", "s").orElseThrow().data());
    assertEquals(1, store.list("tasks").size());

    store.applyPullPage(
        List.of(new Change("tasks", "s", 2, false, obj("a", 2), T)), List.of(), "c2");
    assertEquals(obj("a", 2), store.get("tasks", "s").orElseThrow().data());
    assertEquals(List.of("null|{\"a\":2}"), rawRows("s"));

    store.write("tasks", "s", Op.PATCH, obj("b", 3));
    assertEquals(obj("a", 2, "b", 3), store.get("tasks", "s").orElseThrow().data());
    store.applyPullPage(List.of(new Change("tasks", "s", 3, true, null, T)), List.of(), "c3");
    assertEquals(
        obj("a", 2, "b", 3), store.get("tasks", "s").orElseThrow().data(), "edit over a tombstone");
    store.discard(store.queue().get(0).mutation().mutationId());
    assertTrue(store.get("tasks", "s").isEmpty(), "the tombstone once the edit is gone");
  }

  private List<String> rawRows(String id) throws Exception {
    List<String> out = new ArrayList<>();
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("s.db"));
        var s = c.prepareStatement("SELECT data, server_data FROM records WHERE id = ?")) {
      s.setString(1, id);
      try (var rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + "|" + rs.getString(2));
        }
      }
    }
    return out;
  }

  /**
   * Found by RandomConvergenceIT in CI (seed 11477955022382): the writer answers a patch that
   * changes nothing on the server's record {@code applied} with the record's current version, which
   * another device wrote. That version was the stored one + 1, so the device took its own patch
   * over its stored state for the server's state at that version, ignored the pull that brought the
   * real one, and lacked the other device's field for good.
   */
  @Test
  void anAppliedPatchThatChangedNothingIsNotTakenForTheNextVersion() {
    store.applyPullPage(
        List.of(new Change("notes", "r2", 6, false, obj("a", 0), T)), List.of(), "c1");
    store.write("notes", "r2", Op.PATCH, obj("a", 1));
    Mutation patch = store.queue().get(0).mutation();
    // Meanwhile another device patched {a: 1, b: 2} as v7: on that record this patch changes
    // nothing, so the writer answers applied with v7.
    store.applyOutcomes(List.of(MutationOutcome.applied(patch, 7)));
    store.applyPullPage(
        List.of(new Change("notes", "r2", 7, false, obj("a", 1, "b", 2), T)), List.of(), "c2");
    SyncRecord r = store.get("notes", "r2").orElseThrow();
    assertEquals(7L, r.version());
    assertEquals(obj("a", 1, "b", 2), r.data(), "the server's v7, not the patch over v6");
  }

  /** A later edit made while the earlier one was in flight follows it when it is adopted. */
  @Test
  void aNeverSentLaterEditIsRebasedOnlyOnAnAdoptedOutcome() {
    store.applyPullPage(
        List.of(new Change("tasks", "t-1", 5, false, obj("title", "a"), T)), List.of(), "c1");
    store.write("tasks", "t-1", Op.UPSERT, obj("title", "b")); // a patch is never adopted
    Mutation first =
        store.claimForSending(List.of(store.queue().get(0).mutation().mutationId())).get(0);
    store.write("tasks", "t-1", Op.PATCH, obj("title", "c")); // new mutation: first is claimed
    assertEquals(5L, store.queue().get(1).mutation().baseVersion());
    store.applyOutcomes(List.of(MutationOutcome.applied(first, 6)));
    assertEquals(6L, store.queue().get(0).mutation().baseVersion());

    store.applyPullPage(
        List.of(new Change("tasks", "t-2", 5, false, obj("title", "a"), T)), List.of(), "c2");
    store.write("tasks", "t-2", Op.PATCH, obj("title", "b"));
    Mutation other =
        store.claimForSending(List.of(store.queue().get(1).mutation().mutationId())).get(0);
    store.write("tasks", "t-2", Op.PATCH, obj("title", "c"));
    store.applyOutcomes(
        List.of(
            MutationOutcome.merged(
                other,
                7,
                List.of(
                    new io.syncforge.protocol.Conflict(
                        "title",
                        null,
                        null,
                        null,
                        io.syncforge.protocol.ConflictPolicy.SERVER_WINS)))));
    assertEquals(5L, store.queue().get(1).mutation().baseVersion(), "merged is never adopted");
  }

  @Test
  void replayAppliesPatchesDeletesAndUpsertsInOrder() {
    Mutation patch = new Mutation(null, "tasks", "t", Op.PATCH, 1L, obj("a", null, "b", 2), null);
    Mutation del = new Mutation(null, "tasks", "t", Op.DELETE, 1L, null, null);
    Mutation up = new Mutation(null, "tasks", "t", Op.UPSERT, 1L, obj("c", 3), null);
    assertEquals(
        obj("b", 2), io.syncforge.protocol.RecordRules.replay(obj("a", 1), true, List.of(patch)));
    assertEquals(
        null, io.syncforge.protocol.RecordRules.replay(obj("a", 1), true, List.of(patch, del)));
    assertEquals(
        obj("c", 3), io.syncforge.protocol.RecordRules.replay(null, false, List.of(del, up)));
    assertEquals(
        obj("a", 1), io.syncforge.protocol.RecordRules.replay(obj("a", 1), true, List.of()));
  }

  @Test
  void dataTheServerWouldRefuseIsRefusedBeforeQueueing() {
    // Each of these was queued before and then refused at push (or, before the writer's
    // isolation, stopped the writer): the device must say so at once and queue nothing.
    ObjectNode deep = MAPPER.createObjectNode();
    ObjectNode at = deep;
    for (int i = 0; i < 70; i++) {
      at = at.putObject("d");
    }
    List<ObjectNode> bad =
        List.of(
            obj("title", "a\u0000b"),
            obj("ti\u0000tle", "a"),
            obj("n", Double.NaN),
            obj("n", Double.POSITIVE_INFINITY),
            obj("n", new java.math.BigInteger("123456789012345678901234567890")),
            obj("s", "\ud800"),
            deep);
    for (ObjectNode data : bad) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> store.write("tasks", "t-9", Op.UPSERT, data));
      assertTrue(e.getMessage().startsWith("invalid "), e.getMessage());
    }
    assertEquals(0, store.pendingCount());
    assertTrue(store.get("tasks", "t-9").isEmpty(), "nothing half-written");
    // Legal neighbours of those values still go through.
    store.write(
        "tasks", "t-9", Op.UPSERT, obj("title", "a\u0001b", "n", 1.5e300, "s", "\ud83d\ude00"));
    assertEquals(1, store.pendingCount());
  }
}
