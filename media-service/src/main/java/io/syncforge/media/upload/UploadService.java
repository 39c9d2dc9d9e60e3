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
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Receives an upload in three steps, none of which holds a transaction while bytes move:
 *
 * <ol>
 *   <li>stream the body to a local temp file while hashing and counting it, and verify the hash;
 *   <li>a short transaction that protects the content from the collector for the grace period
 *       ({@link MediaCatalog#reserve}), then place the bytes in the store outside any transaction;
 *   <li>a short transaction that records metadata and the caller's reference ({@link
 *       MediaCatalog#register}).
 * </ol>
 *
 * A crash between 2 and 3 leaves bytes with an unreferenced blob row that the collector removes
 * after the grace. Step 1 runs on the connection's event loop ({@link Receiving}: hash and page
 * cache write per chunk, no hand-over to a worker per chunk); the fsync and steps 2 and 3 on a
 * worker. Memory use is one buffer per upload whatever the size; the temp file is deleted on every
 * path that does not move it into the store.
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
    if (declaredLength != null) {
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
      return store(caller, declaredSha256, received.count, contentType, fileName, received.temp);
    }
  }

  /**
   * Steps 2 and 3 for verified content in a local temp file (also used when a resumable upload
   * completes). The temp file is consumed or left for the caller to delete.
   */
  public MediaCatalog.Registered store(
      Caller caller, String sha256, long size, String contentType, String fileName, Path temp) {
    catalog.checkQuota(caller, sha256, size);
    boolean known = catalog.reserve(sha256, size);
    try {
      // Identical bytes already stored need not move again; register re-checks under the lock.
      if (!known || !store.exists(sha256)) {
        store.put(sha256, temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store blob", e);
    }
    return catalog.register(caller, sha256, size, contentType, fileName);
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
    private final ByteBuffer pending;
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
      // Small bodies get a buffer of their size (+1 to see a body longer than declared at once).
      long size = declaredLength == null ? BUFFER : Math.min(BUFFER, declaredLength + 1);
      this.pending = ByteBuffer.allocateDirect((int) Math.max(1, size));
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
