package io.syncforge.media.gc;

import static io.syncforge.media.MediaTestSupport.await;
import static io.syncforge.media.MediaTestSupport.blobPath;
import static io.syncforge.media.MediaTestSupport.blobRows;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.db;
import static io.syncforge.media.MediaTestSupport.delete;
import static io.syncforge.media.MediaTestSupport.download;
import static io.syncforge.media.MediaTestSupport.execute;
import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.queryLong;
import static io.syncforge.media.MediaTestSupport.sha256;
import static io.syncforge.media.MediaTestSupport.token;
import static io.syncforge.media.MediaTestSupport.unreferencedBlobRows;
import static io.syncforge.media.MediaTestSupport.upload;
import static io.syncforge.media.MediaTestSupport.uploadThenDelete;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithDevInfra
class BlobCollectorTest {

  private static final ExecutorService POOL = Executors.newCachedThreadPool();

  @Inject BlobCollector collector;

  @AfterAll
  static void stopPool() {
    POOL.shutdownNow();
  }

  @Test
  void deletedContentIsRemovedOnlyAfterTheGracePeriod() throws Exception {
    String sha = uploadThenDelete(token(newTenant(), "alice"), content(500));

    collector.collect(Instant.now().minus(Duration.ofHours(1)));
    assertTrue(Files.exists(blobPath(sha)), "removed within the grace period");

    collector.collect(Instant.now().plusSeconds(1));
    assertFalse(Files.exists(blobPath(sha)));
    assertEquals(0, blobRows(sha));
  }

  @Test
  void contentStillReferencedByAnotherTenantStays() throws Exception {
    byte[] bytes = content(500);
    String sha = sha256(bytes);
    String a = token(newTenant(), "alice");
    String b = token(newTenant(), "bob");
    upload(a, bytes).then().statusCode(201);
    upload(b, bytes).then().statusCode(201);
    delete(a, sha).then().statusCode(204);

    collector.collect(Instant.now().plusSeconds(1));

    assertTrue(Files.exists(blobPath(sha)));
    assertArrayEquals(bytes, download(b, sha));
  }

  /** The collector took the blob lock first; the upload waits, then writes its file again. */
  @Test
  void uploadRacingACollectorThatWonKeepsItsFile() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] bytes = content(50_000);
    String sha = uploadThenDelete(token, bytes);

    Future<Integer> reupload;
    try (Connection gc = db()) {
      gc.setAutoCommit(false);
      // Play the collector: lock, then (while the upload waits) delete file and row.
      execute(gc, "SELECT sha256 FROM media.blob WHERE sha256 = ? FOR UPDATE", sha);
      reupload = POOL.submit(() -> upload(token, bytes).statusCode());
      awaitLockWaiter();
      Files.delete(blobPath(sha));
      execute(gc, "DELETE FROM media.blob WHERE sha256 = ?", sha);
      gc.commit();
    }
    assertEquals(201, reupload.get());
    assertArrayEquals(bytes, Files.readAllBytes(blobPath(sha)));
    assertArrayEquals(bytes, download(token, sha));
  }

  /** An upload holds the blob lock first; the collector waits, re-checks and keeps the file. */
  @Test
  void collectorRacingAnUploadThatWonKeepsTheFile() throws Exception {
    String sha = uploadThenDelete(token(newTenant(), "alice"), content(500));

    Future<Integer> run;
    try (Connection upload = db()) {
      upload.setAutoCommit(false);
      // Play an upload between its lock and its commit: referenced again.
      execute(upload, "UPDATE media.blob SET unreferenced_since = NULL WHERE sha256 = ?", sha);
      run = POOL.submit(() -> collector.collect(Instant.now().plusSeconds(60)));
      awaitLockWaiter();
      upload.commit();
    }
    run.get();
    assertTrue(Files.exists(blobPath(sha)));
    assertEquals(0, unreferencedBlobRows(sha));
  }

  /** Waits until some session of the database waits for a row lock. */
  private static void awaitLockWaiter() throws Exception {
    boolean waiting =
        await(
            Duration.ofSeconds(60),
            20,
            () ->
                queryLong(
                        "SELECT count(*) FROM pg_stat_activity"
                            + " WHERE wait_event_type = 'Lock' AND datname = current_database()")
                    > 0);
    if (!waiting) {
      throw new AssertionError("nobody waited for the lock");
    }
  }
}
