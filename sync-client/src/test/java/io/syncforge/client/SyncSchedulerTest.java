package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.client.internal.Backoff;
import io.syncforge.client.internal.TaskTimer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deterministic: a fake timer (time passes only when the test says so) and a fake sync. */
class SyncSchedulerTest {
  static final Duration INTERVAL = Duration.ofMinutes(15);

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-11-25T22:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Records scheduled tasks; runs them only on demand. */
  static final class FakeTimer implements TaskTimer {
    final List<Duration> delays = new ArrayList<>();
    Runnable pending;

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
      delays.add(delay);
      pending = task;
      return () -> {
        if (pending == task) {
          pending = null;
        }
      };
    }

    void fire() {
      Runnable r = pending;
      pending = null;
      r.run();
    }
  }

  final MutableClock clock = new MutableClock();
  final FakeTimer timer = new FakeTimer();
  final Deque<SyncResult> results = new ArrayDeque<>();
  final List<Boolean> onlineReports = new ArrayList<>();
  int syncs;
  boolean online = true;
  CompletableFuture<SyncResult> manual; // when set, the sync stays running until completed
  SyncScheduler scheduler;

  static final SyncResult OK =
      new SyncResult.Success(0, 0, 0, 0, 0, 0, 0, 0, 0, false, Instant.EPOCH);
  static final SyncResult NET = new SyncResult.NetworkError("down");
  static final SyncResult AUTH = new SyncResult.AuthError("expired");

  @BeforeEach
  void setUp() {
    NetworkMonitor monitor =
        new NetworkMonitor() {
          @Override
          public boolean isOnline() {
            return online;
          }
        };
    scheduler =
        new SyncScheduler(
            () -> {
              syncs++;
              if (manual != null) {
                return manual;
              }
              return CompletableFuture.completedFuture(results.isEmpty() ? OK : results.poll());
            },
            monitor,
            onlineReports::add,
            timer,
            clock,
            new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), BackoffTestRandom.top()),
            INTERVAL,
            Duration.ofMinutes(5));
  }

  /** Jitter pinned to the top of its range so delays equal the ceilings. */
  static final class BackoffTestRandom {
    static Random top() {
      return new Random() {
        @Override
        public double nextDouble() {
          return Math.nextDown(1.0);
        }
      };
    }
  }

  @Test
  void startSyncsAtOnceThenPeriodically() {
    scheduler.start();
    assertEquals(1, syncs);
    assertEquals(INTERVAL, scheduler.nextDelay());
    timer.fire();
    assertEquals(2, syncs);
    assertEquals(List.of(INTERVAL, INTERVAL), timer.delays);
  }

  @Test
  void failuresBackOffExponentiallyUpToTheCapAndSuccessResets() {
    for (int i = 0; i < 8; i++) {
      results.add(NET);
    }
    scheduler.start();
    for (int i = 0; i < 7; i++) {
      timer.fire();
    }
    assertEquals(8, scheduler.consecutiveFailures());
    List<Long> seconds = timer.delays.stream().map(Duration::toSeconds).toList();
    assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L), seconds);
    timer.fire(); // success
    assertEquals(0, scheduler.consecutiveFailures());
    assertEquals(INTERVAL, scheduler.nextDelay());
  }

  @Test
  void retryAfterLongerThanTheBackoffWins() {
    results.add(
        new SyncResult.ServerError(
            503, "unavailable", "down", ErrorClass.RETRYABLE, Duration.ofSeconds(30)));
    scheduler.start();
    assertEquals(Duration.ofSeconds(30), scheduler.nextDelay());
  }

  @Test
  void authErrorStopsEverySyncUntilANewToken() {
    results.add(AUTH);
    scheduler.start();
    assertTrue(scheduler.isStoppedByAuth());
    assertNull(scheduler.nextDelay(), "no retry is scheduled");
    scheduler.onNetworkAvailable();
    scheduler.onAppForeground();
    assertEquals(1, syncs, "nothing retries with a bad token");

    scheduler.onTokenUpdated();
    assertEquals(2, syncs);
    assertFalse(scheduler.isStoppedByAuth());
    assertEquals(INTERVAL, scheduler.nextDelay());
  }

  @Test
  void foregroundSyncsOnlyWhenTheLastSuccessIsOlderThanFiveMinutes() {
    scheduler.start();
    clock.now = clock.now.plus(Duration.ofMinutes(4));
    scheduler.onAppForeground();
    assertEquals(1, syncs);
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    scheduler.onAppForeground();
    assertEquals(2, syncs);
  }

  @Test
  void networkAvailableSyncsAtOnceAndForgetsTheBackoff() {
    results.add(NET);
    results.add(NET);
    scheduler.start();
    timer.fire();
    assertEquals(2, scheduler.consecutiveFailures());
    online = false;
    scheduler.onNetworkLost();
    timer.fire(); // timed sync skipped while offline
    assertEquals(2, syncs);
    online = true;
    scheduler.onNetworkAvailable();
    assertEquals(3, syncs);
    assertEquals(0, scheduler.consecutiveFailures());
    assertEquals(List.of(false, false, true), onlineReports);
  }

  @Test
  void triggersWhileRunningJoinTheRun() {
    manual = new CompletableFuture<>();
    scheduler.start();
    scheduler.onNetworkAvailable();
    scheduler.onAppForeground();
    assertEquals(1, syncs);
    manual.complete(OK);
    assertEquals(INTERVAL, scheduler.nextDelay());
  }

  @Test
  void nothingRunsAfterClose() {
    manual = new CompletableFuture<>();
    scheduler.start();
    scheduler.close();
    manual.complete(NET); // a run finishing after close schedules nothing
    assertNull(scheduler.nextDelay());
    assertNull(timer.pending);
    scheduler.onNetworkAvailable();
    scheduler.onAppForeground();
    scheduler.onTokenUpdated();
    scheduler.start();
    assertEquals(1, syncs);
  }
}
