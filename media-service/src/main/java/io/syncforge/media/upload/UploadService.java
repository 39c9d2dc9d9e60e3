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
 * Streams an upload to a temp file while hashing and counting it; only verified content reaches the
 * catalog and the store. Memory use is one buffer per upload whatever the size. The temp file is
 * deleted on every path that does not move it into the store.
 */
@ApplicationScoped
public class UploadService {

  private static final Logger LOG = Logger.getLogger(UploadService.class);
  private static final int BUFFER = 64 * 1024;

  private final BlobStore store;
  private final MediaCatalog catalog;
  private final MediaConfig config;

  public UploadService(BlobStore store, MediaCatalog catalog, MediaConfig config) {
    this.store = store;
    this.catalog = catalog;
    this.config = config;
  }

  /**
   * Receives, verifies and records one upload.
   *
   * @param declaredLength the {@code Content-Length}, or null for a chunked body
   */
  public MediaCatalog.Registered upload(
      Caller caller,
      String declaredSha256,
      String contentType,
      String fileName,
      Long declaredLength,
      InputStream body) {
    Path temp;
    try {
      temp = store.createTempFile();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create an upload temp file", e);
    }
    try {
      Received received = receive(body, temp, declaredLength);
      if (!received.sha256.equals(declaredSha256)) {
        throw new ProblemException(
            ErrorCode.HASH_MISMATCH,
            "the body hashes to " + received.sha256 + ", not to the declared " + declaredSha256);
      }
      return catalog.register(caller, declaredSha256, received.size, contentType, fileName, temp);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        LOG.warnf("cannot delete upload temp file %s: %s", temp, e);
      }
    }
  }

  private record Received(String sha256, long size) {}

  private Received receive(InputStream body, Path temp, Long declaredLength) {
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
          // The client went away or the connection broke: nothing is kept.
          throw new ProblemException(
              ErrorCode.INVALID_REQUEST, "the upload was interrupted after " + count + " bytes");
        }
        if (n < 0) {
          break;
        }
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
      if (count == 0) {
        throw new ProblemException(ErrorCode.INVALID_REQUEST, "the body is empty");
      }
      if (declaredLength != null && count != declaredLength) {
        throw new ProblemException(
            ErrorCode.INVALID_REQUEST,
            "the body ended after " + count + " of " + declaredLength + " bytes");
      }
      // Durable before the metadata says it exists.
      out.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the upload temp file", e);
    }
    return new Received(HexFormat.of().formatHex(digest.digest()), count);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
