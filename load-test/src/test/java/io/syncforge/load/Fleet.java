package io.syncforge.load;

import io.restassured.response.Response;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device fleet: {@code devices} real sync-clients on one tenant, each in its own thread doing
 * rounds of (maybe offline) edit bursts on a shared record pool and on its own records, deletes
 * (also of records it never had), then a reconnect; a third of them in live mode, a third syncing
 * periodically (the scheduler, every second), the rest syncing by hand after each burst. Halfway,
 * sync-api is stopped for {@code outage} while the devices keep editing, then started again, and
 * the time until every device equals the server (the convergence oracle's device check) is
 * measured. At the end every device syncs until its queue is empty, for the oracle.
 */
final class Fleet {

  static final String TENANT = "load-fleet";

  private final LocalStack stack;
  private final LoadProfile profile;
  private final Ledger ledger;
  final List<FleetDevice> devices = new ArrayList<>();
  final AtomicLong edits = new AtomicLong();
  final AtomicLong ghostDeletesRefusedLocally = new AtomicLong();
  final AtomicLong rawGhostDeletes = new AtomicLong();
  final AtomicLong offlineBursts = new AtomicLong();
  double outageConvergenceSeconds = -1;
  double finalSettleSeconds = -1;
  String outageNote = "";

  Fleet(LocalStack stack, LoadProfile profile, Ledger ledger) {
    this.stack = stack;
    this.profile = profile;
    this.ledger = ledger;
  }

  void run(Path root) throws Exception {
    Progress.phase = "fleet setup";
    Files.createDirectories(root);
    FleetDevice.Mode[] modes = FleetDevice.Mode.values();
    for (int i = 0; i < profile.devices(); i++) {
      devices.add(new FleetDevice(stack, TENANT, "dev" + i, modes[i % 3], ledger, root));
    }
    // The shared pool, created by the first device; every device starts from it.
    FleetDevice first = devices.get(0);
    for (int p = 0; p < profile.poolSize(); p++) {
      first.client.collection("notes").put("p" + p, Map.of("title", "pool " + p, "n", 0));
    }
    settle(first, 60);
    for (FleetDevice d : devices) {
      d.sync();
      switch (d.mode) {
        case LIVE -> d.client.startLive();
        case PERIODIC -> d.client.scheduler().start();
        default -> {}
      }
    }
    int rounds = profile.fleetRounds();
    int half = Math.max(1, rounds / 2);
    Progress.phase = "fleet";
    runRounds(0, half);
    outage();
    Progress.phase = "fleet";
    runRounds(half, rounds);
    Progress.phase = "fleet settle";
    long t0 = System.nanoTime();
    for (FleetDevice d : devices) {
      d.offline(false);
      if (d.mode == FleetDevice.Mode.LIVE) {
        d.client.stopLive();
      }
      if (d.mode == FleetDevice.Mode.PERIODIC) {
        d.client.scheduler().close();
      }
    }
    // Two passes: the second brings everything the others pushed during the first.
    for (int pass = 0; pass < 2; pass++) {
      for (FleetDevice d : devices) {
        settle(d, 60);
      }
    }
    finalSettleSeconds = (System.nanoTime() - t0) / 1e9;
  }

  private void runRounds(int from, int to) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(devices.size(), Runner.daemon("device"));
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (FleetDevice d : devices) {
        fs.add(
            pool.submit(
                () -> {
                  Random r = new Random(d.name.hashCode() * 31L + from);
                  for (int round = from; round < to; round++) {
                    round(d, r, round);
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get(10, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** One round of one device: a burst of edits (offline half of the time), then a reconnect. */
  private void round(FleetDevice d, Random r, int round) throws InterruptedException {
    boolean offline = r.nextBoolean();
    if (offline) {
      offlineBursts.incrementAndGet();
      d.offline(true);
    }
    int burst = 1 + r.nextInt(15);
    for (int i = 0; i < burst; i++) {
      edit(d, r, round, i);
    }
    if (r.nextInt(10) == 0) {
      rawGhostDelete();
    }
    Thread.sleep(offline ? 200 + r.nextInt(600) : r.nextInt(200));
    d.offline(false);
    if (d.mode == FleetDevice.Mode.MANUAL || r.nextInt(4) == 0) {
      d.sync();
    }
    Thread.sleep(50 + r.nextInt(250));
  }

  private void edit(FleetDevice d, Random r, int round, int i) {
    var notes = d.client.collection("notes");
    var tasks = d.client.collection("tasks");
    String pool = "p" + r.nextInt(profile.poolSize());
    int p = r.nextInt(100);
    if (p < 35) {
      notes.put(pool, Map.of("title", d.name + " r" + round, "n", r.nextInt(1000)));
    } else if (p < 55) {
      if (notes.get(pool).isPresent()) {
        notes.patch(pool, Map.of(r.nextBoolean() ? "title" : "tag", d.name + "." + i));
      } else {
        notes.put(pool, Map.of("title", "recreated by " + d.name));
      }
    } else if (p < 65) {
      notes.delete(pool);
    } else if (p < 85) {
      tasks.put(d.name + "-t" + r.nextInt(20), Map.of("done", r.nextBoolean(), "round", round));
    } else if (p < 92) {
      String id = d.name + "-tmp" + round + "-" + i;
      tasks.put(id, Map.of("short", true));
      tasks.delete(id);
    } else {
      // A record this device never had: the client refuses it locally (nothing to delete).
      if (!tasks.delete("ghost-" + UUID.randomUUID())) {
        ghostDeletesRefusedLocally.incrementAndGet();
      } else {
        throw new IllegalStateException(d.name + ": a delete of a record never seen was queued");
      }
    }
    edits.incrementAndGet();
  }

  /** A delete of a record that never existed, pushed over REST into the fleet's tenant. */
  private void rawGhostDelete() {
    UUID id = UUID.randomUUID();
    String body =
        "{\"clientId\":\"fleet-raw\",\"mutations\":[{\"mutationId\":\""
            + id
            + "\",\"collection\":\"notes\",\"recordId\":\"ghost-"
            + id
            + "\",\"op\":\"delete\"}]}";
    ledger.pushed(TENANT, "fleet-raw", id, false);
    try {
      Response resp =
          Http.as(stack.token(TENANT, "raw"))
              .contentType("application/json")
              .body(body)
              .post(stack.apiUrl() + "/v1/sync/push");
      if (resp.statusCode() == 200) {
        ledger.acknowledged(TENANT, "fleet-raw", id);
      }
    } catch (RuntimeException e) {
      // not answered: the mutation may or may not be in the log
    }
    rawGhostDeletes.incrementAndGet();
  }

  /** sync-api stopped while the devices keep editing; then the time until all are equal again. */
  private void outage() throws Exception {
    if (profile.outage().isZero()) {
      return;
    }
    Progress.phase = "outage";
    stack.stop(LocalStack.Service.API);
    long end = System.nanoTime() + profile.outage().toNanos();
    // Devices keep working: edits go to the queue, syncs fail as network errors.
    ExecutorService pool = Executors.newFixedThreadPool(devices.size(), Runner.daemon("outage"));
    List<Future<?>> fs = new ArrayList<>();
    for (FleetDevice d : devices) {
      fs.add(
          pool.submit(
              () -> {
                Random r = new Random(d.name.hashCode());
                int i = 0;
                while (System.nanoTime() < end) {
                  edit(d, r, 1000, i++);
                  if (d.mode == FleetDevice.Mode.MANUAL) {
                    d.sync();
                  }
                  Thread.sleep(300 + r.nextInt(300));
                }
                return null;
              }));
    }
    for (Future<?> f : fs) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdownNow();
    stack.start(LocalStack.Service.API);
    long up = System.nanoTime();
    Progress.phase = "reconverge";
    // Manual devices retry as an app would (every 500 ms); live and periodic ones on their own.
    long deadline = up + TimeUnit.SECONDS.toNanos(180);
    Oracle oracle = new Oracle(stack.jdbcUrl());
    String last = "";
    while (System.nanoTime() < deadline) {
      for (FleetDevice d : devices) {
        if (d.mode == FleetDevice.Mode.MANUAL) {
          d.sync();
        }
      }
      List<String> diff = oracle.deviceDiffs(TENANT, devices, 1);
      if (diff.isEmpty()) {
        outageConvergenceSeconds = (System.nanoTime() - up) / 1e9;
        return;
      }
      last = diff.get(0);
      Thread.sleep(500);
    }
    outageNote = "not converged 180 s after the restart: " + last;
  }

  private static void settle(FleetDevice d, int maxTries) {
    SyncResult r = null;
    for (int i = 0; i < maxTries; i++) {
      r = d.sync();
      if (r instanceof SyncResult.Success s && s.stillPending() == 0) {
        return;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    System.out.println("[load] " + d.name + " not settled: " + r);
  }

  void close() {
    for (FleetDevice d : devices) {
      try {
        d.close();
      } catch (RuntimeException e) {
        System.out.println("[load] close " + d.name + ": " + e);
      }
    }
  }
}
