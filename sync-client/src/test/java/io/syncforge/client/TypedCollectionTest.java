package io.syncforge.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, item 8: typed records with Jackson and observable queries, as an app uses them. */
class TypedCollectionTest {
  record Note(String title, boolean done) {}

  @TempDir Path dir;
  FakeServer server;
  SyncClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeServer();
    client = server.client(dir.resolve("client.db")).build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.close();
  }

  @Test
  void typedRecordsRoundTripAndUnknownFieldsFromOtherDevicesAreTolerated() {
    TypedCollection<Note> notes = client.collection("notes", Note.class);
    notes.put("n1", new Note("Buy milk", false));
    assertEquals(Optional.of(new Note("Buy milk", false)), notes.get("n1"));
    assertEquals(new Note("Buy milk", true), notes.patch("n1", Map.of("done", true)));
    server.serverWrite("notes", "n2", SyncClientTest.obj("title", "x", "done", true, "extra", 1));
    assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(List.of(new Note("Buy milk", true), new Note("x", true)), notes.list());
    assertEquals(List.of(new Note("x", true)), notes.list(Map.of("title", "x")));
    assertTrue(notes.delete("n1"));
    assertTrue(notes.get("n1").isEmpty());
  }

  @Test
  void observersFireNowAfterLocalWritesAndAfterAppliedPullsOnlyWhenTheirResultChanges() {
    TypedCollection<Note> notes = client.collection("notes", Note.class);
    List<Optional<Note>> one = new CopyOnWriteArrayList<>();
    List<List<Note>> open = new CopyOnWriteArrayList<>();
    Subscription s1 = notes.observe("n1", one::add);
    Subscription s2 = notes.observe(Map.of("done", false), open::add);
    assertEquals(List.of(Optional.empty()), one, "fired at once");
    assertEquals(List.of(List.of()), open);

    notes.put("n1", new Note("a", false));
    notes.put("n2", new Note("b", true)); // not n1, not open: neither result changes
    assertEquals(List.of(Optional.empty(), Optional.of(new Note("a", false))), one);
    assertEquals(List.of(List.of(), List.of(new Note("a", false))), open);

    assertInstanceOf(SyncResult.Success.class, client.sync()); // own edits: nothing visible moves
    assertEquals(2, one.size(), "a sync that changes nothing visible fires nothing: " + one);

    server.serverWrite("notes", "n1", SyncClientTest.obj("title", "from server", "done", false));
    assertInstanceOf(SyncResult.Success.class, client.sync());
    assertEquals(Optional.of(new Note("from server", false)), one.get(one.size() - 1));
    assertEquals(List.of(new Note("from server", false)), open.get(open.size() - 1));

    s1.close();
    s2.close();
    int before = one.size();
    notes.delete("n1");
    assertEquals(before, one.size(), "closed: no more calls");
  }
}
