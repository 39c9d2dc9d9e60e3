package io.syncforge.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Op;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, item 5: the app's reads go to a query-only reader connection and never wait for the
 * writer's transaction (a hang detector with a generous bound, not a speed assertion).
 */
class ReadsNeverWaitTest {
  static final ObjectMapper MAPPER = Json.newMapper();
  @TempDir Path dir;

  @Test
  void readsSeeTheLastCommittedStateWhileAWriteTransactionIsOpen() throws Exception {
    try (LocalStore store = new LocalStore(dir.resolve("s.db"), MAPPER, Clock.systemUTC())) {
      store.write("tasks", "t-0", Op.UPSERT, LocalStoreTest.obj("title", "committed"));
      CountDownLatch inTx = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      store.setAfterRecordWriteHook(
          () -> {
            inTx.countDown();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      CompletableFuture<?> writer =
          CompletableFuture.runAsync(
              () -> store.write("tasks", "t-1", Op.UPSERT, LocalStoreTest.obj("title", "new")));
      assertTrue(inTx.await(10, TimeUnit.SECONDS), "the writer holds its transaction");
      try {
        CompletableFuture<String> read =
            CompletableFuture.supplyAsync(
                () ->
                    store.get("tasks", "t-0").orElseThrow().data().get("title").asText()
                        + " "
                        + store.list("tasks").size()
                        + " "
                        + store.pendingCount());
        assertEquals(
            "committed 1 1", read.get(10, TimeUnit.SECONDS), "read without waiting for the writer");
      } finally {
        release.countDown();
      }
      writer.get(10, TimeUnit.SECONDS);
      store.setAfterRecordWriteHook(null);
      assertEquals(2, store.list("tasks").size(), "and the commit is visible at once after");
    }
  }
}
