package io.syncforge.media.upload;

import io.syncforge.media.MediaConfig;
import io.syncforge.media.meta.MediaCatalog;
import io.syncforge.media.store.BlobStore;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
 * after the grace. Memory use is one buffer per upload whatever the size; the temp file is deleted
 * on every path that does not move it into the store.
 */
@ApplicationScoped
public class UploadService {

  private static final Logger LOG = Logger.getLogger(UploadService.class);
  private static final int BUFFER = 256 * 1024;

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
   * Receives, verifies and records one upload.
   *
   * @param device who counts against the per-device limit
   * @param declaredLength the {@code Content-Length}, or null for a chunked body
   * @param abort ends the request when the transfer is too slow (closes the connection)
   */
  public MediaCatalog.Registered upload(
      Caller caller,
      String device,
      String declaredSha256,
      String contentType,
      String fileName,
      Long declaredLength,
      InputStream body,
      Runnable abort) {
    if (declaredLength != null) {
      catalog.checkQuota(caller, declaredSha256, declaredLength);
    }
    try (UploadLimits.Transfer transfer = guard.limits().start(device, abort)) {
      Path temp;
      try {
        temp = store.createTempFile();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create an upload temp file", e);
      }
      try {
        Received received = receive(body, temp, declaredLength, transfer);
        if (!received.sha256.equals(declaredSha256)) {
          throw new ProblemException(
              ErrorCode.HASH_MISMATCH,
              "the body hashes to " + received.sha256 + ", not to the declared " + declaredSha256);
        }
        return store(caller, declaredSha256, received.size, contentType, fileName, temp);
      } finally {
        deleteQuietly(temp);
      }
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

  private record Received(String sha256, long size) {}

  private Received receive(
      InputStream body, Path temp, Long declaredLength, UploadLimits.Transfer transfer) {
    MessageDigest digest = sha256();
    long max = config.maxSize();
    long count = 0;
    byte[] buffer = new byte[BUFFER];
    try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
      while (true) {
        int n;
        try {
          n = body.read(buffer);
        } catch (IOException e) {
          if (transfer.aborted()) {
            throw tooSlow(count);
          }
          // The client went away or the connection broke: nothing is kept.
          throw new ProblemException(
              ErrorCode.INVALID_REQUEST, "the upload was interrupted after " + count + " bytes");
        }
        if (n < 0) {
          // Storing it is the server's time, not the client's rate.
          transfer.bodyReceived();
          break;
        }
        transfer.received(n);
        count += n;
        if (count > max) {
          throw new ProblemException(
              ErrorCode.PAYLOAD_TOO_LARGE, "the body exceeds the limit of " + max + " bytes");
        }
        digest.update(buffer, 0, n);
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
      }
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
      // Only where the temp file becomes the stored file (rename): an S3 store uploads it and
      // deletes it, so its durability does not matter.
      if (store.placesTempFile()) {
        out.force(false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the upload temp file", e);
    }
    return new Received(HexFormat.of().formatHex(digest.digest()), count);
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
