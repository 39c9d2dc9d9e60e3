package io.syncforge.media.gc;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.MediaObjectRepository;
import io.syncforge.media.store.BlobEntry;
import io.syncforge.media.store.BlobEntryRepository;
import io.syncforge.media.store.BlobStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Removes content that no tenant has referenced for the grace period. Each blob goes in its own
 * transaction that holds the blob row lock while it re-checks and deletes, the same lock an upload
 * takes before it places its file:
 *
 * <ul>
 *   <li>an upload that locked first clears {@code unreferenced_since}; the collector, once it gets
 *       the lock, re-reads the row, sees it referenced and skips it;
 *   <li>a collector that locked first deletes file and row and commits; the waiting upload then
 *       inserts a fresh row and moves its own verified file into place before it commits.
 * </ul>
 *
 * A crash between the file deletion and the commit leaves a row without a file that the next run
 * deletes ({@link BlobStore#delete} tolerates a missing file).
 */
@ApplicationScoped
public class BlobCollector {

  private static final Logger LOG = Logger.getLogger(BlobCollector.class);

  private final BlobEntryRepository blobs;
  private final MediaObjectRepository media;
  private final BlobStore store;
  private final MediaConfig config;

  public BlobCollector(
      BlobEntryRepository blobs, MediaObjectRepository media, BlobStore store, MediaConfig config) {
    this.blobs = blobs;
    this.media = media;
    this.store = store;
    this.config = config;
  }

  @Scheduled(
      every = "${sync.media.gc.every}",
      delayed = "1m",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      // Not while the application starts or stops.
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void onTimer() {
    try {
      collect(Instant.now().minus(config.gc().grace()));
      store.deleteStaleTempFiles(config.gc().grace());
    } catch (RuntimeException | IOException e) {
      LOG.warnf("media GC run failed, will retry: %s", e.toString());
    }
  }

  /**
   * Removes content unreferenced since before {@code cutoff}.
   *
   * @return the number of blobs removed
   */
  public int collect(Instant cutoff) {
    int removed = 0;
    for (String sha256 :
        QuarkusTransaction.requiringNew()
            .call(() -> blobs.collectable(cutoff, config.gc().batchSize()))) {
      if (QuarkusTransaction.requiringNew().call(() -> collectOne(sha256, cutoff))) {
        removed++;
      }
    }
    return removed;
  }

  /**
   * Removes one content if, under its row lock, it is still unreferenced since before the cutoff.
   * Must run in a transaction.
   */
  boolean collectOne(String sha256, Instant cutoff) {
    BlobEntry blob = blobs.lock(sha256).orElse(null);
    if (blob == null
        || blob.unreferencedSince == null
        || !blob.unreferencedSince.isBefore(cutoff)) {
      return false;
    }
    if (media.isReferenced(sha256)) {
      blob.unreferencedSince = null;
      return false;
    }
    try {
      store.delete(sha256);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete blob " + sha256, e);
    }
    blobs.delete(blob);
    LOG.debugf("collected %s", sha256);
    return true;
  }
}
