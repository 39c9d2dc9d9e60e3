package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.client.SyncRecord;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import io.syncforge.protocol.MutationOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: several real sync-client devices, each behind its own {@link FaultProxy}, make random
 * upserts, patches and deletes (including deletes of records that never reached the server) in
 * three collections with the three conflict policies, with random offline periods and failed pulls.
 * At the end every device equals the server's snapshot (as a fresh device receives it) and every
 * queued mutation got its final outcome. The seed is printed; {@code -Dconvergence.seed=N} replays
 * a run.
 */
class RandomConvergenceIT {

  private static final List<String> COLLECTIONS = List.of("notes", "cwnotes", "lwwnotes");
  private static final List<String> FIELDS = List.of("a", "b", "c");

  /**
   * Deletes of records that never existed on the server (contract 2). {@code
   * -Dconvergence.ghosts=false} leaves them out, to check the devices alone against a writer that
   * cannot take them yet.
   */
  private static final boolean GHOSTS =
      Boolean.parseBoolean(System.getProperty("convergence.ghosts", "true"));

  private final LocalStack stack = Stack.get();

  @Test
  void randomEditsOfflinePeriodsAndLostPullsConvergeOnEveryDevice() {
    long seed = Long.getLong("convergence.seed", System.nanoTime());
    System.out.println("RandomConvergenceIT seed=" + seed);
    Random rnd = new Random(seed);
    String tenant = "t-rand-" + UUID.randomUUID().toString().substring(0, 8);
    int devices = 3;
    int rounds = Integer.getInteger("convergence.rounds", 25);
    List<FaultProxy> proxies = new ArrayList<>();
    List<Device> ds = new ArrayList<>();
    try {
      for (int i = 0; i < devices; i++) {
        FaultProxy p = new FaultProxy(stack.apiUrl());
        proxies.add(p);
        ds.add(new Device(stack, tenant, "d" + i, p.url()));
      }
      int ops = 0;
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < devices; i++) {
          Device d = ds.get(i);
          int n = rnd.nextInt(4);
          for (int k = 0; k < n; k++) {
            randomEdit(rnd, d);
            ops++;
          }
          int mode = rnd.nextInt(10);
          if (mode < 3) {
            continue; // offline this round
          }
          if (mode < 5) {
            proxies.get(i).failPulls(1); // the push goes through, the pull is lost
          }
          SyncResult r = d.client.sync();
          proxies.get(i).clear();
          assertTrue(
              r instanceof SyncResult.Success || r instanceof SyncResult.ServerError,
              d.name + " round " + round + ": " + r + " (seed " + seed + ")");
        }
      }
      // Everybody back online: sync round-robin until every queue is empty and nobody gets more.
      for (int pass = 0; pass < 3; pass++) {
        for (Device d : ds) {
          d.syncUntilSettled();
        }
      }
      for (Device d : ds) {
        assertEquals(
            0,
            d.client.status().pendingCount(),
            d.name + ": every mutation got its final outcome (seed " + seed + ")");
        for (MutationOutcome o : d.rejected) {
          System.out.println(d.name + " rejected: " + o);
        }
      }
      try (Device fresh = new Device(stack, tenant, "fresh")) {
        fresh.syncUntilSettled();
        int records = 0;
        for (String c : COLLECTIONS) {
          Map<String, List<Object>> server = view(fresh, c);
          records += server.size();
          for (Device d : ds) {
            assertEquals(
                server,
                view(d, c),
                d.name + " equals the server snapshot of " + c + " (seed " + seed + ")");
          }
        }
        System.out.printf(
            "RandomConvergenceIT: %d devices, %d rounds, %d edits, %d live records, conflicts %s,"
                + " rejected %s%n",
            devices,
            rounds,
            ops,
            records,
            ds.stream().map(d -> d.merged.size()).toList(),
            ds.stream().map(d -> d.rejected.size()).toList());
      }
    } finally {
      for (Device d : ds) {
        d.close();
      }
      for (FaultProxy p : proxies) {
        p.close();
      }
    }
  }

  /** id -> [version, data]; data compares as JSON (field order does not matter). */
  private static Map<String, List<Object>> view(Device d, String collection) {
    Map<String, List<Object>> out = new TreeMap<>();
    for (SyncRecord r : d.client.collection(collection).list()) {
      out.put(r.id(), List.of(r.version(), r.data()));
    }
    return out;
  }

  private static void randomEdit(Random rnd, Device d) {
    String c = COLLECTIONS.get(rnd.nextInt(COLLECTIONS.size()));
    String id = "r" + rnd.nextInt(5);
    var col = d.client.collection(c);
    boolean visible = col.get(id).isPresent();
    int op = rnd.nextInt(10);
    if (op < 4 || !visible && op < 8) {
      Map<String, Object> data = new TreeMap<>();
      for (String f : FIELDS) {
        if (rnd.nextBoolean()) {
          data.put(f, d.name + "-" + rnd.nextInt(100));
        }
      }
      col.put(id, data);
    } else if (op < 8) {
      Map<String, Object> patch = new java.util.HashMap<>();
      patch.put(
          FIELDS.get(rnd.nextInt(FIELDS.size())),
          rnd.nextInt(5) == 0 ? null : d.name + "-" + rnd.nextInt(100));
      col.patch(id, patch);
    } else if (visible || !GHOSTS) {
      col.delete(id);
    } else {
      // A record that never reached the server: created and deleted before any upload, so the
      // server sees a delete of a record that never existed.
      String ghost = "ghost" + rnd.nextInt(1000);
      col.put(ghost, Map.of("a", "x"));
      col.delete(ghost);
    }
  }
}
