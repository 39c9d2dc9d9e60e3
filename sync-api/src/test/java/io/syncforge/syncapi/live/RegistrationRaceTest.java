package io.syncforge.syncapi.live;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A pull registering while a notification for its tenant is delivered, or while another pull of the
 * tenant deregisters, must never end up in a set nobody wakes any more (it would then wait its
 * whole timeout despite changes): after the storm, one notification per tenant wakes every
 * registration.
 */
class RegistrationRaceTest {

  private static final int TENANTS = 2;

  private static String notification(int tenant) {
    return "{\"tenant\":\"t" + tenant + "\",\"partition\":0,\"lastOffset\":1}";
  }

  @Test
  void registrationsRacingNotificationsAndRemovalsAreNeverOrphaned() throws Exception {
    ChangeNotifications n = new ChangeNotifications();
    AtomicBoolean stop = new AtomicBoolean();
    List<CompletableFuture<Void>> registered = new ArrayList<>();
    Thread registrar =
        new Thread(
            () -> {
              for (int i = 0; i < 300_000; i++) {
                registered.add(n.register("t" + (i % TENANTS)));
              }
              stop.set(true);
            });
    Thread canceller =
        new Thread(
            () -> {
              int i = 0;
              while (!stop.get()) {
                // Other parked pulls of the tenant ending (timeout, answer) all the time.
                n.register("t" + (i++ % TENANTS)).cancel(false);
              }
            });
    Thread notifier =
        new Thread(
            () -> {
              int i = 0;
              while (!stop.get()) {
                n.onNotification(notification(i++ % TENANTS));
              }
            });
    canceller.start();
    notifier.start();
    registrar.start();
    registrar.join();
    canceller.join();
    notifier.join();
    for (int t = 0; t < TENANTS; t++) {
      n.onNotification(notification(t));
    }
    long lost = registered.stream().filter(f -> !f.isDone()).count();
    assertEquals(0, lost, "registrations orphaned: never woken by a later notification");
  }
}
