package io.syncforge.media.upload;

import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.meta.MediaCatalog;
import io.syncforge.media.store.BlobStore;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Receives an upload in three steps, none of which holds a transaction while bytes move:
 *
 * <ol>
 *   <li>stream the body to a local temp file while hashing and counting it, and verify the hash;
 *   <li>place the bytes in the store outside any transaction (not again when they are stored);
 *   <li>one short transaction that records blob row, metadata, the caller's reference, the tenant's
 *       usage and the outbox row ({@link MediaCatalog#register}).
 * </ol>
 *
 * A crash between 2 and 3 leaves bytes without a row that the orphan sweep removes after the grace
 * (it leaves younger bytes alone: they may be an upload between 2 and 3). Step 1 runs on the
 * connection's event loop ({@link Receiving}: hash and page cache write per chunk, no hand-over to
 * a worker per chunk); the fsync and steps 2 and 3 on a worker. Memory use is one buffer per upload
 * whatever the size; the temp file is deleted on every path that does not move it into the store.
 */
@ApplicationScoped
public class UploadService {

  private static final Logger LOG = Logger.getLogger(UploadService.class);
  private static final int BUFFER = 256 * 1024;

  /** A large upload's temp file is fdatasynced in the background after each this many bytes. */
  private static final long FORCE_EVERY = 8L << 20;

  private final BlobStore store;
  private final MediaCatalog catalog;
  private final MediaConfig config;
  private final UploadGuard guard;

  public UploadService(
      BlobStore store, MediaCatalog catalog, MediaConfig config, UploadGuard guard) {
    this.store = store;
    this.catalog = catalog;
    this.config = config;
    this.guard = guard;
  }

  /**
   * Starts receiving one upload (on a worker: the quota pre-check reads the database): takes the
   * upload's permits and opens its temp file. The caller feeds the body to the returned {@link
   * Receiving} as it arrives and then calls {@link #finish}, or {@link Receiving#close} on every
   * other path.
   *
   * @param device who counts against the per-device limit
   * @param declaredLength the {@code Content-Length}, or null for a chunked body
   * @param abort ends the request when the transfer is too slow (closes the connection)
   */
  public Receiving begin(
      Caller caller, String device, String declaredSha256, Long declaredLength, Runnable abort) {
    if (quotaPrecheck(declaredLength)) {
      catalog.checkQuota(caller, declaredSha256, declaredLength);
    }
    UploadLimits.Transfer transfer = guard.limits().start(device, abort);
    try {
      Path temp = store.createTempFile();
      return new Receiving(
          transfer, temp, declaredLength, config.maxSize(), store.placesTempFile());
    } catch (IOException | RuntimeException e) {
      transfer.close();
      throw e instanceof IOException io
          ? new UncheckedIOException("cannot create an upload temp file", io)
          : (RuntimeException) e;
    }
  }

  /**
   * Whether {@link #begin} reads the database (the quota pre-check of a declared length) and so
   * must run on a worker; otherwise it only opens a local temp file and may run on the event loop.
   */
  public boolean quotaPrecheck(Long declaredLength) {
    return declaredLength != null && config.limits().tenantQuota() > 0;
  }

  /**
   * After the whole body was fed (on a worker): checks length and hash, makes the temp file durable
   * where it becomes the stored file, stores and registers it. Closes {@code received} on every
   * path.
   */
  public MediaCatalog.Registered finish(
      Caller caller,
      Receiving received,
      String declaredSha256,
      String contentType,
      String fileName) {
    try (received) {
      String sha256 = received.complete();
      if (!sha256.equals(declaredSha256)) {
        throw new ProblemException(
            ErrorCode.HASH_MISMATCH,
            "the body hashes to " + sha256 + ", not to the declared " + declaredSha256);
      }
      // A declared length was checked against the quota in begin(); a chunked body is now.
      return store(
          caller,
          declaredSha256,
          received.count,
          contentType,
          fileName,
          received.temp,
          received.declaredLength == null);
    }
  }

  /**
   * Steps 2 and 3 for verified content in a local temp file (also used when a resumable upload
   * completes). The temp file is consumed or left for the caller to delete.
   */
  public MediaCatalog.Registered store(
      Caller caller, String sha256, long size, String contentType, String fileName, Path temp) {
    return store(caller, sha256, size, contentType, fileName, temp, true);
  }

  private MediaCatalog.Registered store(
      Caller caller,
      String sha256,
      long size,
      String contentType,
      String fileName,
      Path temp,
      boolean checkQuota) {
    if (checkQuota) {
      // Before placing bytes the quota would refuse (they would wait for the orphan sweep).
      catalog.checkQuota(caller, sha256, size);
    }
    BlobStore.Sync sync;
    boolean skipped;
    try {
      // Identical bytes already stored need not move again (files are placed whole, after their
      // fsync, by rename); register re-checks under the content's locks that they are still there.
      skipped = store.exists(sha256);
      sync = skipped ? BlobStore.Sync.DONE : store.placeDeferringSync(sha256, temp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store blob", e);
    }
    // The directory fsync (filesystem store) runs on a worker while the registration's first
    // statement runs; the registration waits for it before the tenant's usage row and the commit.
    CompletableFuture<Void> durable =
        sync == BlobStore.Sync.DONE
            ? CompletableFuture.completedFuture(null)
            : CompletableFuture.runAsync(
                () -> {
                  try {
                    sync.run();
                  } catch (IOException e) {
                    throw new UncheckedIOException("cannot make the stored blob durable", e);
                  }
                },
                Infrastructure.getDefaultWorkerPool());
    // Skipped because stored: if a collector removed them before the registration got the locks,
    // the registration places them after all (under the locks, so they stay until the commit).
    return catalog.register(
        caller,
        sha256,
        size,
        contentType,
        fileName,
        () -> awaitDurable(durable),
        () -> skipped && placeNow(sha256, temp));
  }

  private boolean placeNow(String sha256, Path temp) {
    try {
      store.put(sha256, temp);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store blob", e);
    }
  }

  private static void awaitDurable(CompletableFuture<Void> durable) {
    try {
      durable.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /**
   * One upload's body on its way to the temp file. {@link #append} runs on the connection's event
   * loop as chunks arrive: it counts, hashes (one pass, from the chunk's own array) and gathers the
   * chunks into one direct buffer that goes to the page cache in writes of {@link #BUFFER} bytes,
   * so no worker thread waits for each chunk. The fsync and everything after it run on a worker
   * ({@link #finish}). Not thread-safe: one thread appends, then another completes (the hand-over
   * is ordered by the caller's executor).
   */
  public final class Receiving implements AutoCloseable {
    private final UploadLimits.Transfer transfer;
    private final Path temp;
    private final Long declaredLength;
    private final long max;
    private final MessageDigest digest = sha256();
    private final FileChannel out;
    private ByteBuffer pending;
    private final boolean durable;
    private final AtomicBoolean forcing = new AtomicBoolean();
    private long count;
    private long forcedUpTo;
    private boolean closed;

    private Receiving(
        UploadLimits.Transfer transfer, Path temp, Long declaredLength, long max, boolean durable)
        throws IOException {
      this.transfer = transfer;
      this.temp = temp;
      this.declaredLength = declaredLength;
      this.max = max;
      this.durable = durable;
      this.out = FileChannel.open(temp, StandardOpenOption.WRITE);
      this.pending = takeBuffer();
    }

    /**
     * Takes the next chunk of the body.
     *
     * @throws ProblemException 413 past the size limit
     * @throws UncheckedIOException when the temp file cannot be written
     */
    public void append(byte[] chunk, int offset, int length) {
      transfer.received(length);
      count += length;
      if (count > max) {
        throw new ProblemException(
            ErrorCode.PAYLOAD_TOO_LARGE, "the body exceeds the limit of " + max + " bytes");
      }
      digest.update(chunk, offset, length);
      try {
        while (length > 0) {
          int n = Math.min(length, pending.remaining());
          pending.put(chunk, offset, n);
          offset += n;
          length -= n;
          if (!pending.hasRemaining()) {
            flush();
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the upload temp file", e);
      }
    }

    /** The client has sent everything: from now on the time is the server's, not the client's. */
    public void bodyReceived() {
      transfer.bodyReceived();
    }

    /**
     * The problem to answer when the body broke off after {@code count} bytes: ended by the rate
     * watch, or the client went away.
     */
    public ProblemException interrupted() {
      if (transfer.aborted()) {
        return tooSlow(count);
      }
      return new ProblemException(
          ErrorCode.INVALID_REQUEST, "the upload was interrupted after " + count + " bytes");
    }

    private void flush() throws IOException {
      pending.flip();
      while (pending.hasRemaining()) {
        out.write(pending);
      }
      pending.clear();
      if (durable && count - forcedUpTo >= FORCE_EVERY && forcing.compareAndSet(false, true)) {
        // Large bodies: the disk writes what has arrived while the rest is still coming (one
        // fdatasync at a time on a worker), so the fsync at the end has only the tail left.
        forcedUpTo = count;
        Infrastructure.getDefaultWorkerPool().execute(this::forceInBackground);
      }
    }

    private void forceInBackground() {
      try {
        out.force(false);
      } catch (IOException e) {
        // Closed meanwhile (the upload failed) or a disk error the final fsync reports again.
        LOG.debugf("background fsync of %s: %s", temp, e);
      } finally {
        forcing.set(false);
      }
    }

    /**
     * Writes the rest, checks the length, fsyncs where the store keeps the temp file; returns the
     * hex SHA-256.
     */
    private String complete() {
      if (transfer.aborted()) {
        throw tooSlow(count);
      }
      if (count == 0) {
        throw new ProblemException(ErrorCode.INVALID_REQUEST, "the body is empty");
      }
      if (declaredLength != null && count != declaredLength) {
        throw new ProblemException(
            ErrorCode.INVALID_REQUEST,
            "the body ended after " + count + " of " + declaredLength + " bytes");
      }
      try {
        flush();
        // The body has ended, nothing appends any more: the buffer serves the next upload.
        ByteBuffer done = pending;
        pending = null;
        giveBuffer(done);
        // Only where the temp file becomes the stored file (rename): an S3 store uploads it and
        // deletes it, so its durability does not matter.
        if (durable) {
          out.force(false);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the upload temp file", e);
      }
      return HexFormat.of().formatHex(digest.digest());
    }

    /** Closes the temp file, deletes it unless it was stored, and releases the permits. */
    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      try {
        out.close();
      } catch (IOException e) {
        LOG.warnf("cannot close upload temp file %s: %s", temp, e);
      }
      deleteQuietly(temp);
      transfer.close();
    }
  }

  /**
   * Direct write buffers of finished uploads, reused: a fresh direct buffer per upload is zeroed
   * and freed only by a GC (and when direct memory runs short, the JDK's allocation calls {@code
   * System.gc()} and waits). A buffer comes back only after its upload's body has ended (never from
   * a failure path, where the event loop might still be writing into it); at most {@link #POOLED}
   * are kept.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> buffers =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private final java.util.concurrent.atomic.AtomicInteger pooled =
      new java.util.concurrent.atomic.AtomicInteger();

  private static final int POOLED = 64;

  private ByteBuffer takeBuffer() {
    ByteBuffer b = buffers.poll();
    if (b == null) {
      return ByteBuffer.allocateDirect(BUFFER);
    }
    pooled.decrementAndGet();
    b.clear();
    return b;
  }

  private void giveBuffer(ByteBuffer b) {
    if (pooled.incrementAndGet() <= POOLED) {
      buffers.add(b);
    } else {
      pooled.decrementAndGet();
    }
  }

  private ProblemException tooSlow(long count) {
    return new ProblemException(
        ErrorCode.UPLOAD_TOO_SLOW,
        "the upload was ended after "
            + count
            + " bytes: slower than "
            + config.limits().minBytesPerSecond()
            + " bytes/s or idle for "
            + config.limits().idleTimeout().toSeconds()
            + " s");
  }

  private static void deleteQuietly(Path temp) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      LOG.warnf("cannot delete upload temp file %s: %s", temp, e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
