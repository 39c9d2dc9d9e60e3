package io.syncforge.media.tus;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.meta.MediaCatalog;
import io.syncforge.media.upload.UploadGuard;
import io.syncforge.media.upload.UploadLimits;
import io.syncforge.media.upload.UploadService;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Resumable uploads (tus 1.0 core, creation, termination). The bytes of an upload in progress are a
 * local file whose length is the offset, so an interrupted {@code PATCH} keeps what arrived and the
 * client continues from {@code HEAD}'s offset. No transaction is open while bytes move; the
 * completed file goes through the same store-then-register path as a one-shot upload, after its
 * SHA-256 was verified.
 *
 * <p>The files live under {@code <root>/uploads} of the pod that received them: with several pods
 * either share {@code sync.media.root} or route an upload's requests to one pod.
 */
@ApplicationScoped
public class TusService {

  private static final Logger LOG = Logger.getLogger(TusService.class);
  private static final int BUFFER = 256 * 1024;

  /** What a PATCH left: the new offset, and the metadata if it completed the upload. */
  public record Appended(long offset, MediaCatalog.Registered completed) {}

  private final ResumableUploadRepository uploads;
  private final UploadService uploadService;
  private final MediaCatalog catalog;
  private final UploadGuard guard;
  private final MediaConfig config;
  private final Path dir;
  private final Set<UUID> busy = ConcurrentHashMap.newKeySet();

  public TusService(
      ResumableUploadRepository uploads,
      UploadService uploadService,
      MediaCatalog catalog,
      UploadGuard guard,
      MediaConfig config) {
    this.uploads = uploads;
    this.uploadService = uploadService;
    this.catalog = catalog;
    this.guard = guard;
    this.config = config;
    this.dir = Path.of(config.root()).toAbsolutePath().normalize().resolve("uploads");
  }

  /** Creation: checks size and quota, records the upload, creates its empty file. */
  public ResumableUpload create(
      Caller caller, long length, String sha256, String contentType, String fileName) {
    if (length <= 0) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "Upload-Length must be above 0");
    }
    if (length > config.maxSize()) {
      throw new ProblemException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          "Upload-Length exceeds the limit of " + config.maxSize() + " bytes");
    }
    catalog.checkQuota(caller, sha256, length);
    ResumableUpload u = new ResumableUpload();
    u.id = UUID.randomUUID();
    u.tenant = caller.tenant();
    u.userId = caller.user();
    u.sha256 = sha256;
    u.length = length;
    u.contentType = contentType;
    u.fileName = fileName;
    u.createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
    u.expiresAt = u.createdAt.plus(config.resumable().expiry());
    try {
      Files.createDirectories(dir);
      Files.createFile(fileOf(u.id));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the upload file", e);
    }
    QuarkusTransaction.requiringNew().run(() -> uploads.persist(u));
    return u;
  }

  /** The caller's upload, or 404. */
  public ResumableUpload get(Caller caller, UUID id) {
    return QuarkusTransaction.requiringNew()
        .call(() -> uploads.findOwn(id, caller.tenant(), caller.user()))
        .orElseThrow(() -> notFound(id));
  }

  /** The upload's offset: the length of its file. */
  public long offset(ResumableUpload u) {
    try {
      return Files.size(fileOf(u.id));
    } catch (NoSuchFileException e) {
      throw notFound(u.id);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the upload file", e);
    }
  }

  /**
   * Appends a PATCH body at {@code offset}, which must be the server's. Bytes that arrived before
   * the client went away (or was ended as too slow) are kept. When the last byte arrived, the hash
   * is verified and the content stored and registered like a one-shot upload.
   */
  public Appended append(
      Caller caller, String device, UUID id, long offset, InputStream body, Runnable abort) {
    ResumableUpload u = get(caller, id);
    if (!busy.add(id)) {
      throw new ProblemException(
          ErrorCode.UPLOAD_OFFSET_MISMATCH, "another PATCH of this upload is running");
    }
    try (UploadLimits.Transfer transfer = guard.limits().start(device, abort)) {
      long current = offset(u);
      if (offset != current) {
        throw new ProblemException(
            ErrorCode.UPLOAD_OFFSET_MISMATCH,
            "Upload-Offset " + offset + " is not the server's offset " + current);
      }
      long end = receive(u, current, body, transfer);
      QuarkusTransaction.requiringNew()
          .run(
              () ->
                  uploads.update(
                      "expiresAt = ?1 where id = ?2",
                      Instant.now().plus(config.resumable().expiry()),
                      id));
      if (end < u.length) {
        return new Appended(end, null);
      }
      return new Appended(end, complete(caller, u));
    } finally {
      busy.remove(id);
    }
  }

  /** Termination: removes the upload and its bytes. */
  public void terminate(Caller caller, UUID id) {
    ResumableUpload u = get(caller, id);
    if (busy.contains(id)) {
      throw new ProblemException(
          ErrorCode.UPLOAD_OFFSET_MISMATCH, "a PATCH of this upload is running");
    }
    remove(u);
  }

  /** The {@code Upload-Expires} instant of an upload. */
  public Instant expires(ResumableUpload u) {
    return u.expiresAt;
  }

  private long receive(
      ResumableUpload u, long start, InputStream body, UploadLimits.Transfer transfer) {
    long count = start;
    byte[] buffer = new byte[BUFFER];
    try (FileChannel out = FileChannel.open(fileOf(u.id), StandardOpenOption.WRITE)) {
      out.position(start);
      try {
        while (true) {
          int n;
          try {
            n = body.read(buffer);
          } catch (IOException e) {
            // Interrupted (or ended as too slow): keep what arrived, the client resumes.
            LOG.debugf("upload %s interrupted at %d: %s", u.id, count, e);
            break;
          }
          if (n < 0) {
            // Completing it (hash, store) is the server's time, not the client's rate.
            transfer.bodyReceived();
            break;
          }
          transfer.received(n);
          if (count + n > u.length) {
            out.truncate(start);
            throw new ProblemException(
                ErrorCode.PAYLOAD_TOO_LARGE,
                "the body goes past Upload-Length " + u.length + "; the PATCH was discarded");
          }
          ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
          count += n;
        }
      } finally {
        // What the next HEAD reports must survive a crash.
        out.force(false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the upload file", e);
    }
    if (transfer.aborted()) {
      throw new ProblemException(
          ErrorCode.UPLOAD_TOO_SLOW, "the PATCH was ended as too slow at offset " + count);
    }
    return count;
  }

  private MediaCatalog.Registered complete(Caller caller, ResumableUpload u) {
    Path file = fileOf(u.id);
    String actual = sha256Of(file);
    if (!actual.equals(u.sha256)) {
      remove(u);
      throw new ProblemException(
          ErrorCode.HASH_MISMATCH,
          "the uploaded bytes hash to "
              + actual
              + ", not to the declared "
              + u.sha256
              + "; the upload was removed");
    }
    MediaCatalog.Registered r =
        uploadService.store(caller, u.sha256, u.length, u.contentType, u.fileName, file);
    remove(u);
    return r;
  }

  private void remove(ResumableUpload u) {
    try {
      Files.deleteIfExists(fileOf(u.id));
    } catch (IOException e) {
      LOG.warnf("cannot delete upload file of %s: %s", u.id, e);
    }
    QuarkusTransaction.requiringNew().run(() -> uploads.deleteById(u.id));
  }

  /** Removes expired uploads, and upload files without a row older than the expiry. */
  @Scheduled(
      every = "${sync.media.gc.every}",
      delayed = "1m",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void onTimer() {
    try {
      expire(Instant.now());
    } catch (RuntimeException | IOException e) {
      LOG.warnf("expiring resumable uploads failed, will retry: %s", e.toString());
    }
  }

  /**
   * Removes uploads idle past their expiry as of {@code now}.
   *
   * @return how many
   */
  public int expire(Instant now) throws IOException {
    List<ResumableUpload> expired =
        QuarkusTransaction.requiringNew().call(() -> uploads.expired(now, 500));
    int removed = 0;
    for (ResumableUpload u : expired) {
      if (!busy.contains(u.id)) {
        remove(u);
        removed++;
      }
    }
    if (Files.isDirectory(dir)) {
      FileTime cutoff = FileTime.from(now.minus(config.resumable().expiry()));
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          UUID id;
          try {
            id = UUID.fromString(f.getFileName().toString());
          } catch (IllegalArgumentException e) {
            continue;
          }
          if (Files.getLastModifiedTime(f).compareTo(cutoff) < 0
              && QuarkusTransaction.requiringNew().call(() -> uploads.findById(id)) == null) {
            Files.deleteIfExists(f);
          }
        }
      }
    }
    return removed;
  }

  private Path fileOf(UUID id) {
    return dir.resolve(id.toString());
  }

  private static String sha256Of(Path file) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (in.read(buffer) >= 0) {
        buffer.flip();
        digest.update(buffer);
        buffer.clear();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the upload file", e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static ProblemException notFound(UUID id) {
    return new ProblemException(ErrorCode.NOT_FOUND, "no upload " + id + " of this user");
  }
}
