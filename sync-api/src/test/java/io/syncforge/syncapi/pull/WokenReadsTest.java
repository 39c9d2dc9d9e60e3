package io.syncforge.syncapi.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.smallrye.mutiny.Uni;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.PullResponse;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.live.ChangeNotifications;
import io.syncforge.syncapi.live.ReReadLimiter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sharing of re-reads under concurrency: many callers of a few tenants ask for re-reads while
 * batches are being read. Every caller must get its own answer (or its own refusal), from a batch
 * of its tenant only, read by a reader call that began AFTER the caller asked (a pull joining a
 * read already under way could be answered from a snapshot older than the change that woke it, and
 * would then park again past that change). And reads must actually be shared.
 */
class WokenReadsTest {

  private static final int CALLERS = 8;
  private static final int PER_CALLER = 1500;
  private static final int TENANTS = 3;

  /**
   * Outside Quarkus, Mutiny sets up context propagation on first use, and several threads doing
   * that at once fail ("ContextManagerProvider already set"): set it up on one thread first.
   */
  @BeforeAll
  static void mutinyReady() {
    Uni.createFrom().emitter(e -> e.complete(1)).await().indefinitely();
  }

  @Test
  void everyCallerGetsItsOwnAnswerFromAReadThatBeganAfterItAsked() throws Exception {
    ExecutorService workers = Executors.newFixedThreadPool(4);
    ReReadLimiter limiter = new ReReadLimiter(2, workers);
    AtomicLong clock = new AtomicLong(); // a logical clock: asked < began is strict
    Map<String, Long> asked = new ConcurrentHashMap<>();
    Queue<String> violations = new ConcurrentLinkedQueue<>();
    AtomicInteger readerCalls = new AtomicInteger();
    WokenReads reads =
        new WokenReads(
            limiter,
            requests -> {
              readerCalls.incrementAndGet();
              long began = clock.incrementAndGet();
              String tenant = requests.get(0).tenant();
              List<PullReader.Answer> answers = new ArrayList<>();
              for (PullReader.Request r : requests) {
                if (!r.tenant().equals(tenant)) {
                  violations.add("batch of " + tenant + " holds " + r.tenant());
                }
                Long at = asked.get(r.cursor());
                if (at == null || at >= began) {
                  violations.add(r.cursor() + " asked at " + at + ", read began at " + began);
                }
                if (r.limit() % 5 == 0) {
                  answers.add(
                      new PullReader.Answer(
                          null, new ProblemException(ErrorCode.CURSOR_INVALID, r.cursor())));
                } else {
                  answers.add(new PullReader.Answer(answer(r.cursor(), began), null));
                }
              }
              sleepMicros(ThreadLocalRandom.current().nextInt(500));
              return answers;
            });
    ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
    List<Future<?>> done = new ArrayList<>();
    for (int c = 0; c < CALLERS; c++) {
      int caller = c;
      done.add(
          callers.submit(
              () -> {
                for (int i = 0; i < PER_CALLER; i++) {
                  String id = caller + "/" + i;
                  String tenant = "t" + ThreadLocalRandom.current().nextInt(TENANTS);
                  PullReader.Request r = new PullReader.Request(tenant, id, null, 1 + i % 7, null);
                  asked.put(id, clock.incrementAndGet());
                  try {
                    PullReader.Result result = reads.read(r).await().atMost(Duration.ofSeconds(30));
                    assertTrue(r.limit() % 5 != 0, id + " should have been refused");
                    assertEquals(id, result.response().cursor(), "answered with another's page");
                  } catch (ProblemException e) {
                    assertEquals(id, e.getMessage(), "refused with another's refusal");
                    assertEquals(0, r.limit() % 5, id + " should have been answered");
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get(5, TimeUnit.MINUTES);
    }
    callers.shutdown();
    workers.shutdown();
    assertTrue(violations.isEmpty(), violations.size() + " violations, e.g. " + violations.peek());
    int total = CALLERS * PER_CALLER;
    assertEquals(total, reads.pulls(), "every pull answered once");
    System.out.printf(
        "woken reads: %d pulls in %d reader calls (%.1f per read)%n",
        total, readerCalls.get(), total / (double) readerCalls.get());
    assertTrue(readerCalls.get() < total, "no read was shared");
  }

  @Test
  void thePullsOneNotificationWakesShareOneRead() throws Exception {
    ChangeNotifications notifications = new ChangeNotifications();
    List<Integer> batchSizes = new CopyOnWriteArrayList<>();
    WokenReads reads =
        new WokenReads(
            // Reads run on the thread that starts them: without the wait for the notification's
            // other wake-ups, the first pull would be read alone at once.
            new ReReadLimiter(16, Runnable::run),
            requests -> {
              batchSizes.add(requests.size());
              List<PullReader.Answer> answers = new ArrayList<>();
              requests.forEach(
                  r -> answers.add(new PullReader.Answer(answer(r.cursor(), 0), null)));
              return answers;
            });
    List<CompletableFuture<String>> answered = new ArrayList<>();
    for (int d = 0; d < 10; d++) {
      PullReader.Request r = new PullReader.Request("t", "device-" + d, null, 10, "device-" + d);
      CompletableFuture<String> out = new CompletableFuture<>();
      answered.add(out);
      notifications
          .register("t", null, true)
          .future()
          .thenRun(
              () ->
                  reads
                      .read(r)
                      .subscribe()
                      .with(x -> out.complete(x.response().cursor()), out::completeExceptionally));
    }
    notifications.onNotification("{\"tenant\":\"t\",\"partition\":0,\"lastOffset\":5}");
    for (int d = 0; d < 10; d++) {
      assertEquals("device-" + d, answered.get(d).get(30, TimeUnit.SECONDS));
    }
    assertEquals(List.of(10), batchSizes, "one read for the ten pulls one notification woke");
  }

  private static PullReader.Result answer(String id, long began) {
    PullResponse response =
        new PullResponse(List.of(), List.of(), id, false, Instant.ofEpochMilli(began), null);
    return new PullReader.Result(response, true, new long[0]);
  }

  private static void sleepMicros(int micros) {
    try {
      TimeUnit.MICROSECONDS.sleep(micros);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(e);
    }
  }
}
