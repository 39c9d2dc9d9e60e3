package io.syncforge.syncapi.live;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.messaging.ChangeNotification;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: change-log-service now fills {@code collections}. Every form a writer may send reaches
 * the right parked pulls: filled (wakes the filters it names), empty (a receipt-only commit: wakes
 * unfiltered pulls and pulls waiting for receipts, not filtered ones), absent or null (an older
 * producer: any collection, wakes every pull of the tenant).
 */
class WriterNotificationFormsTest {

  /** The writer's serializer (Quarkus's ObjectMapper writes nulls) and the protocol's (omits). */
  private static final List<ObjectMapper> WRITERS = List.of(new ObjectMapper(), Json.newMapper());

  private record Pulls(
      ChangeNotifications.Waiter notes,
      ChangeNotifications.Waiter tasks,
      ChangeNotifications.Waiter all,
      ChangeNotifications.Waiter receipts) {}

  private static Pulls park(ChangeNotifications n) {
    Pulls p =
        new Pulls(
            n.register("t", List.of("notes"), false),
            n.register("t", List.of("tasks"), false),
            n.register("t", null, false),
            n.register("t", List.of("tasks"), true));
    for (ChangeNotifications.Waiter w : List.of(p.notes(), p.tasks(), p.all(), p.receipts())) {
      w.positions(new long[] {0, 0, 0});
    }
    return p;
  }

  @Test
  void filledCollectionsWakeOnlyTheFiltersTheyName() throws Exception {
    for (ObjectMapper writer : WRITERS) {
      ChangeNotifications n = new ChangeNotifications();
      Pulls p = park(n);
      n.onNotification(
          writer.writeValueAsString(new ChangeNotification("t", 1, 7, List.of("notes"))));
      assertTrue(p.notes().future().isDone());
      assertFalse(p.tasks().future().isDone(), "a pull of tasks woken by a change of notes");
      assertTrue(p.all().future().isDone());
      assertTrue(p.receipts().future().isDone());
    }
  }

  @Test
  void anEmptyListIsAReceiptOnlyCommit() throws Exception {
    for (ObjectMapper writer : WRITERS) {
      ChangeNotifications n = new ChangeNotifications();
      Pulls p = park(n);
      n.onNotification(writer.writeValueAsString(new ChangeNotification("t", 1, 7, List.of())));
      assertFalse(p.notes().future().isDone());
      assertFalse(p.tasks().future().isDone());
      assertTrue(p.all().future().isDone());
      assertTrue(p.receipts().future().isDone(), "the receipt must reach the waiting device");
    }
  }

  @Test
  void absentOrNullCollectionsMeanAnyCollection() throws Exception {
    List<String> forms =
        List.of(
            "{\"tenant\":\"t\",\"partition\":1,\"lastOffset\":7}",
            "{\"tenant\":\"t\",\"partition\":1,\"lastOffset\":7,\"collections\":null}",
            new ObjectMapper().writeValueAsString(new ChangeNotification("t", 1, 7)),
            Json.newMapper().writeValueAsString(new ChangeNotification("t", 1, 7)));
    for (String json : forms) {
      ChangeNotifications n = new ChangeNotifications();
      Pulls p = park(n);
      n.onNotification(json);
      for (ChangeNotifications.Waiter w : List.of(p.notes(), p.tasks(), p.all(), p.receipts())) {
        assertTrue(w.future().isDone(), json);
      }
    }
  }
}
