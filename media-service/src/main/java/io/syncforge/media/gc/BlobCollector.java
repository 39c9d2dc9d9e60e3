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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
 * deletes ({@link BlobStore#delete} tolerates a missing file). A blob whose deletion fails is
 * retried later with a growing delay and does not stop the others.
 *
 * <p>The orphan sweep ({@link #sweepOrphans}) removes stored bytes that have no blob row at all and
 * are older than the grace (an older version, a restore, a lost row). It takes the content's
 * advisory lock that an upload's reservation takes, so it never removes bytes being placed.
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
    } catch (RuntimeException e) {
      LOG.warnf("media GC run failed, will retry: %s", e.toString());
    }
    try {
      store.deleteStaleTempFiles(config.gc().grace());
    } catch (RuntimeException | IOException e) {
      LOG.warnf("stale temp file sweep failed, will retry: %s", e.toString());
    }
  }

  @Scheduled(
      every = "${sync.media.gc.orphan-sweep-every}",
      delayed = "5m",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void onSweepTimer() {
    try {
      sweepOrphans(Instant.now().minus(config.gc().grace()));
    } catch (RuntimeException | IOException e) {
      LOG.warnf("media orphan sweep failed, will retry: %s", e.toString());
    }
  }

  /**
   * Removes stored content without a blob row that was last written before {@code cutoff}.
   *
   * @return the number removed
   */
  public int sweepOrphans(Instant cutoff) throws IOException {
    List<String> batch = new ArrayList<>();
    int[] removed = {0};
    store.scan(
        cutoff,
        sha -> {
          batch.add(sha);
          if (batch.size() >= 500) {
            removed[0] += sweepBatch(batch);
            batch.clear();
          }
        });
    removed[0] += sweepBatch(batch);
    return removed[0];
  }

  private int sweepBatch(List<String> candidates) {
    Set<String> withRows =
        QuarkusTransaction.requiringNew().call(() -> blobs.existing(List.copyOf(candidates)));
    int removed = 0;
    for (String sha256 : candidates) {
      if (withRows.contains(sha256)) {
        continue;
      }
      try {
        if (QuarkusTransaction.requiringNew().call(() -> sweepOne(sha256))) {
          removed++;
        }
      } catch (RuntimeException e) {
        LOG.warnf(
            "cannot remove orphaned content %s, next sweep retries: %s", sha256, e.toString());
      }
    }
    if (removed > 0) {
      LOG.infof("removed %d stored content(s) without metadata", removed);
    }
    return removed;
  }

  private boolean sweepOne(String sha256) {
    blobs.lockContent(sha256);
    if (blobs.findByIdOptional(sha256).isPresent()) {
      return false;
    }
    try {
      store.delete(sha256);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete orphan " + sha256, e);
    }
    return true;
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
      try {
        if (QuarkusTransaction.requiringNew().call(() -> collectOne(sha256, cutoff))) {
          removed++;
        }
      } catch (RuntimeException e) {
        // One content that cannot be removed (storage refuses, a bad row) must not stop the rest.
        LOG.warnf("cannot collect %s, will retry later: %s", sha256, e.toString());
        try {
          QuarkusTransaction.requiringNew().run(() -> postpone(sha256));
        } catch (RuntimeException e2) {
          LOG.warnf("cannot postpone %s: %s", sha256, e2.toString());
        }
      }
    }
    return removed;
  }

  /** After a failed attempt: retried after 1, 2, 4 … minutes, at most a day. */
  void postpone(String sha256) {
    BlobEntry blob = blobs.lock(sha256).orElse(null);
    if (blob != null) {
      blob.gcFailures++;
      long minutes = Math.min(24 * 60, 1L << Math.min(blob.gcFailures - 1, 11));
      blob.gcRetryAt = Instant.now().plus(Duration.ofMinutes(minutes));
    }
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
