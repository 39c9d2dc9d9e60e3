package io.syncforge.media.gc;

import static io.syncforge.media.MediaTestSupport.blobPath;
import static io.syncforge.media.MediaTestSupport.blobRows;
import static io.syncforge.media.MediaTestSupport.content;
import static io.syncforge.media.MediaTestSupport.download;
import static io.syncforge.media.MediaTestSupport.execute;
import static io.syncforge.media.MediaTestSupport.fetch;
import static io.syncforge.media.MediaTestSupport.metadataRows;
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
import io.syncforge.media.meta.MediaCatalog;
import io.syncforge.media.store.BlobStore;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 2: bytes are placed outside any transaction, so a crash between placing and
 * committing leaves bytes without metadata; the collector and the orphan sweep remove them later,
 * and one content that cannot be removed does not stop the others.
 */
@QuarkusTest
@WithDevInfra
class UploadCrashAndOrphanTest {

  @Inject MediaCatalog catalog;
  @Inject BlobStore store;
  @Inject BlobCollector collector;

  /** The upload's steps 1 and 2 ran (reserve, place), then the process died before step 3. */
  @Test
  void crashBetweenStoreAndCommitIsSweptAfterTheGrace() throws Exception {
    String sha = placeWithoutRegistering(content(40_000), true);
    // -- crash: register never ran --
    assertTrue(Files.exists(blobPath(sha)));
    assertEquals(1, unreferencedBlobRows(sha));
    assertEquals(0, metadataRows(sha));

    collector.collect(Instant.now().minus(Duration.ofHours(1)));
    assertTrue(
        Files.exists(blobPath(sha)), "removed within the grace (an upload may be placing it)");

    collector.collect(Instant.now().plusSeconds(1));
    assertFalse(Files.exists(blobPath(sha)));
    assertEquals(0, blobRows(sha));
    // Everybody else still works.
    upload(token(newTenant(), "fresh"), content(1000)).then().statusCode(201);
  }

  /**
   * The upload path since 2026-12-02: the bytes are placed without any row first, then registered
   * in one transaction. A crash between the two leaves bytes without a row: the orphan sweep keeps
   * them within the grace (they may be an upload about to register) and removes them after it.
   */
  @Test
  void crashBetweenPlacingAndRegisteringIsSweptAfterTheGrace() throws Exception {
    byte[] bytes = content(30_000);
    String sha = placeWithoutRegistering(bytes, false);
    // -- crash: register never ran --
    assertTrue(Files.exists(blobPath(sha)));
    assertEquals(0, blobRows(sha));

    collector.sweepOrphans(Instant.now().minus(Duration.ofHours(1)));
    assertTrue(Files.exists(blobPath(sha)), "removed within the grace");

    assertTrue(collector.sweepOrphans(Instant.now().plusSeconds(1)) >= 1);
    assertFalse(Files.exists(blobPath(sha)));
    // Sent again: a normal upload, kept.
    String token = token(newTenant(), "alice");
    upload(token, bytes).then().statusCode(201);
    assertArrayEquals(bytes, download(token, sha));
  }

  /** The same crash, then the user sends it again: a normal upload, kept. */
  @Test
  void retryAfterACrashKeepsTheContent() throws Exception {
    byte[] bytes = content(10_000);
    String sha = placeWithoutRegistering(bytes, true);
    String token = token(newTenant(), "alice");
    upload(token, bytes).then().statusCode(201);
    collector.collect(Instant.now().plusSeconds(3600));
    assertTrue(Files.exists(blobPath(sha)));
    fetch(token, sha).then().statusCode(200);
  }

  @Test
  void orphanSweepRemovesOnlyOldBytesWithoutARow() throws Exception {
    Instant old = Instant.now().minus(Duration.ofHours(2));
    String orphan = place(content(100), old);
    String young = place(content(100), Instant.now());
    byte[] kept = content(100);
    upload(token(newTenant(), "alice"), kept).then().statusCode(201);
    Files.setLastModifiedTime(blobPath(sha256(kept)), FileTime.from(old));
    Path junk = blobPath(orphan).resolveSibling("notes.txt");
    Files.writeString(junk, "not content");
    Files.setLastModifiedTime(junk, FileTime.from(old));

    assertTrue(collector.sweepOrphans(Instant.now().minus(Duration.ofHours(1))) >= 1);

    assertFalse(Files.exists(blobPath(orphan)));
    assertTrue(Files.exists(blobPath(young)), "young bytes may be an upload being placed");
    assertTrue(Files.exists(blobPath(sha256(kept))));
    assertTrue(Files.exists(junk));
    Files.delete(junk);
    Files.delete(blobPath(young));
  }

  /** A content whose deletion fails (here: a directory in its place) is retried later. */
  @Test
  void oneContentThatCannotBeRemovedDoesNotStopTheCollector() throws Exception {
    String stuck = sha256(content(10));
    Path dir = blobPath(stuck);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("x"), "makes the delete fail");
    execute(
        "INSERT INTO media.blob (sha256, size, created_at, unreferenced_since)"
            + " VALUES (?, 10, now(), '2000-01-01T00:00:00Z')",
        stuck);
    try {
      String sha = uploadThenDelete(token(newTenant(), "alice"), content(500));

      collector.collect(Instant.now().plusSeconds(1));

      assertFalse(Files.exists(blobPath(sha)), "stopped behind the stuck content");
      assertEquals(
          1,
          queryLong(
              "SELECT count(*) FROM media.blob WHERE sha256 = ? AND gc_failures = 1"
                  + " AND gc_retry_at > now()",
              stuck));
      // Postponed: the next run does not try it again at once.
      collector.collect(Instant.now().plusSeconds(1));
      assertEquals(1, queryLong("SELECT gc_failures FROM media.blob WHERE sha256 = ?", stuck));
    } finally {
      Files.delete(dir.resolve("x"));
      Files.delete(dir);
      execute("DELETE FROM media.blob WHERE sha256 = ?", stuck);
    }
  }

  /**
   * An upload's first steps without the last: the bytes placed in the store (after reserving a blob
   * row for them if {@code reserved}), never registered; their hash.
   */
  private String placeWithoutRegistering(byte[] bytes, boolean reserved) throws Exception {
    String sha = sha256(bytes);
    Path temp = store.createTempFile();
    Files.write(temp, bytes);
    if (reserved) {
      catalog.reserve(sha, bytes.length);
    }
    store.put(sha, temp);
    return sha;
  }

  private String place(byte[] bytes, Instant modified) throws Exception {
    String sha = sha256(bytes);
    Path path = blobPath(sha);
    Files.createDirectories(path.getParent());
    Files.write(path, bytes);
    Files.setLastModifiedTime(path, FileTime.from(modified));
    return sha;
  }
}
