package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncforge.client.MediaProgress;
import io.syncforge.client.MediaSync;
import io.syncforge.client.SyncRecord;
import io.syncforge.client.Transport;
import io.syncforge.protocol.MediaCollection;
import io.syncforge.protocol.validation.Ids;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Media files: attach (hash, copy, queue upload), upload queued files, download files named by
 * {@code _media} records with bounded concurrency (the pool's size), verifying SHA-256 and resuming
 * partial downloads with {@code Range}. Failures are recorded and retried by a later run.
 */
public final class MediaEngine {
  /** Files transferred and failed by one run. */
  public record Counts(int downloaded, int uploaded, int failed) {
    public static final Counts NONE = new Counts(0, 0, 0);
  }

  private final LocalStore store;
  private final ApiClient api;
  private final Path dir;
  private final Path partialDir;
  private final ExecutorService downloads;
  private final long resumableFrom;
  private final Progress progress = new Progress();

  /** Files from this size on are uploaded resumably (tus), smaller ones in one request. */
  public static final long DEFAULT_RESUMABLE_FROM = 8L * 1024 * 1024;

  public MediaEngine(LocalStore store, ApiClient api, Path dir, ExecutorService downloads) {
    this(store, api, dir, downloads, DEFAULT_RESUMABLE_FROM);
  }

  /**
   * @param resumableFrom files of at least this many bytes go through a resumable (tus) upload that
   *     a later run continues from the server's offset
   */
  public MediaEngine(
      LocalStore store, ApiClient api, Path dir, ExecutorService downloads, long resumableFrom) {
    this.store = store;
    this.api = api;
    this.dir = dir;
    this.partialDir = dir.resolve(".partial");
    this.downloads = downloads;
    this.resumableFrom = resumableFrom;
  }

  /** Where progress goes (the client's listeners); called on transfer threads, must not block. */
  public void setProgressSink(java.util.function.Consumer<MediaProgress> sink) {
    progress.sink = sink == null ? p -> {} : sink;
  }

  /** The progress of the current (or last) run. */
  public MediaProgress progress() {
    return progress.snapshot();
  }

  /**
   * Per-file byte counts of one run. Transfer threads add bytes; a snapshot is built on demand and
   * sent to the sink when a file starts, ends or fails, and at most every {@link
   * MediaSync#PROGRESS_INTERVAL} per file while bytes move.
   */
  static final class Progress {
    private static final long INTERVAL_NANOS = MediaSync.PROGRESS_INTERVAL.toNanos();

    static final class Entry {
      final String sha;
      final MediaProgress.Direction direction;
      final java.util.concurrent.atomic.AtomicLong done =
          new java.util.concurrent.atomic.AtomicLong();
      volatile long total;
      volatile MediaProgress.State state = MediaProgress.State.QUEUED;
      volatile long lastSent = System.nanoTime();

      Entry(String sha, MediaProgress.Direction direction, long total) {
        this.sha = sha;
        this.direction = direction;
        this.total = total;
      }
    }

    private final List<Entry> entries = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean running;
    volatile java.util.function.Consumer<MediaProgress> sink = p -> {};

    void begin() {
      entries.clear();
      running = true;
    }

    void end() {
      running = false;
      send();
    }

    Entry add(String sha, MediaProgress.Direction direction, Long total) {
      Entry e = new Entry(sha, direction, total == null ? -1 : total);
      entries.add(e);
      return e;
    }

    void state(Entry e, MediaProgress.State state) {
      e.state = state;
      send();
    }

    /** A transfer's byte counter: adds, and sends at most every interval. */
    java.util.function.LongConsumer counter(Entry e) {
      return n -> {
        e.done.addAndGet(n);
        long now = System.nanoTime();
        if (now - e.lastSent >= INTERVAL_NANOS) {
          e.lastSent = now;
          send();
        }
      };
    }

    void send() {
      try {
        sink.accept(snapshot());
      } catch (RuntimeException ignored) {
        // Progress is best effort; a listener's failure never fails a transfer.
      }
    }

    MediaProgress snapshot() {
      List<MediaProgress.FileProgress> files = new ArrayList<>();
      for (Entry e : entries) {
        files.add(
            new MediaProgress.FileProgress(e.sha, e.direction, e.done.get(), e.total, e.state));
      }
      return new MediaProgress(files, running);
    }
  }

  /** Where the verified file of {@code sha256} lives (whether present or not). */
  public Path pathOf(String sha256) {
    if (!Ids.isSha256Hex(sha256)) {
      throw new IllegalArgumentException("not a sha256: " + sha256);
    }
    return dir.resolve(sha256);
  }

  /** The verified local file, if present. */
  public Optional<Path> file(String sha256) {
    Path p = pathOf(sha256);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /** Hashes and copies {@code file} into the media directory and queues its upload. */
  public String attach(Path file, String contentType) throws IOException {
    Files.createDirectories(partialDir);
    Path tmp = partialDir.resolve("attach-" + UUID.randomUUID() + ".tmp");
    MessageDigest md = sha256();
    long size;
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      size = Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    String sha = HexFormat.of().formatHex(md.digest());
    moveIntoPlace(tmp, dir.resolve(sha));
    String type = contentType != null ? contentType : probe(file);
    Path name = file.getFileName();
    store.mediaAttached(sha, size, type, name == null ? null : name.toString());
    return sha;
  }

  private static String probe(Path file) {
    try {
      String t = Files.probeContentType(file);
      return t == null ? "application/octet-stream" : t;
    } catch (IOException e) {
      return "application/octet-stream";
    }
  }

  /** Runs uploads then downloads; never throws (media never blocks record sync). */
  public Counts runSafely() {
    try {
      return run();
    } catch (RuntimeException e) {
      return new Counts(0, 0, 1);
    }
  }

  /**
   * Uploads one file: small ones in one request; large ones resumably, continuing an upload a
   * previous run began (its URL is kept in {@code .partial/<sha256>.upload}) from the offset the
   * server reports, so a lost link costs only the bytes in flight.
   */
  private void upload(MediaIndex.MediaRow row, Path p, Progress.Entry entry) throws ApiException {
    long size;
    try {
      size = Files.size(p);
    } catch (IOException e) {
      throw ApiException.network("cannot read " + p + ": " + e.getMessage(), e);
    }
    entry.total = size;
    java.util.function.LongConsumer sent = progress.counter(entry);
    progress.state(entry, MediaProgress.State.TRANSFERRING);
    if (size < resumableFrom) {
      api.uploadMedia(p, row.sha256(), row.contentType(), row.fileName(), sent);
      return;
    }
    Path marker = partialDir.resolve(row.sha256() + ".upload");
    java.net.URI upload = readMarker(marker);
    long offset = upload == null ? -1 : api.resumableOffset(upload);
    if (offset < 0) {
      Optional<java.net.URI> created =
          api.createResumableUpload(row.sha256(), size, row.contentType(), row.fileName());
      if (created.isEmpty()) {
        api.uploadMedia(p, row.sha256(), row.contentType(), row.fileName(), sent);
        return;
      }
      upload = created.get();
      writeMarker(marker, upload);
      offset = 0;
    }
    entry.done.set(offset); // the part an earlier run sent counts as done
    long done = offset < size ? api.appendResumable(upload, p, offset, sent) : offset;
    if (done < size) {
      throw ApiException.network(
          "resumable upload of " + row.sha256() + " stopped at " + done + " of " + size, null);
    }
    try {
      Files.deleteIfExists(marker);
    } catch (IOException e) {
      // a stale marker only costs a HEAD that answers 404 next time
    }
  }

  private static java.net.URI readMarker(Path marker) {
    try {
      return Files.isRegularFile(marker)
          ? java.net.URI.create(Files.readString(marker).strip())
          : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  private void writeMarker(Path marker, java.net.URI upload) {
    try {
      Files.createDirectories(partialDir);
      Files.writeString(marker, upload.toString());
    } catch (IOException e) {
      // without the marker the next run starts a new upload; this one expires on the server
    }
  }

  /**
   * Uploads queued files, then downloads missing or mismatched ones. One run at a time (a sync's
   * media step and {@code media().sync()} never write the same partial file at once).
   */
  public synchronized Counts run() {
    progress.begin();
    try {
      return runTracked();
    } finally {
      progress.end();
    }
  }

  private Counts runTracked() {
    int uploaded = 0;
    int failed = 0;
    List<MediaIndex.MediaRow> uploads = store.mediaUploads();
    List<Progress.Entry> upEntries = new ArrayList<>();
    for (MediaIndex.MediaRow row : uploads) {
      upEntries.add(progress.add(row.sha256(), MediaProgress.Direction.UPLOAD, row.size()));
    }
    for (int k = 0; k < uploads.size(); k++) {
      MediaIndex.MediaRow row = uploads.get(k);
      Progress.Entry entry = upEntries.get(k);
      Path p = dir.resolve(row.sha256());
      try {
        upload(row, p, entry);
        store.mediaUploaded(row.sha256());
        entry.done.set(Math.max(entry.done.get(), entry.total));
        progress.state(entry, MediaProgress.State.DONE);
        uploaded++;
      } catch (ApiException e) {
        store.mediaUploadFailed(row.sha256(), e.getMessage());
        progress.state(entry, MediaProgress.State.FAILED);
        failed++;
      }
    }
    List<Future<Boolean>> jobs = new ArrayList<>();
    for (SyncRecord r : store.list(MediaCollection.NAME)) {
      String sha = r.id();
      if (!Ids.isSha256Hex(sha)) {
        continue;
      }
      Long size = sizeOf(r.data() == null ? null : r.data().get("size"));
      if (isPresent(sha, size)) {
        continue;
      }
      Progress.Entry entry = progress.add(sha, MediaProgress.Direction.DOWNLOAD, size);
      jobs.add(downloads.submit(() -> download(sha, size, entry)));
    }
    int downloaded = 0;
    for (Future<Boolean> f : jobs) {
      try {
        if (f.get()) {
          downloaded++;
        } else {
          failed++;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed++;
      } catch (ExecutionException e) {
        failed++;
      }
    }
    return new Counts(downloaded, uploaded, failed);
  }

  private static Long sizeOf(JsonNode n) {
    return n == null || !n.canConvertToLong() ? null : n.asLong();
  }

  /**
   * True if the verified file is in place. A file whose length differs from the metadata, or one
   * the index does not know as verified, is hashed again.
   */
  private boolean isPresent(String sha, Long size) {
    Path p = dir.resolve(sha);
    if (!Files.isRegularFile(p)) {
      return false;
    }
    try {
      if (size != null && Files.size(p) != size) {
        return false;
      }
      Optional<MediaIndex.MediaRow> row = store.media(sha);
      if (row.isPresent() && "present".equals(row.get().state())) {
        return true;
      }
      if (sha.equals(hash(p))) {
        store.mediaState(sha, Files.size(p), "present", Files.size(p), null, false);
        return true;
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  /** Downloads one file into place; true on success. Runs on a download thread. */
  boolean download(String sha, Long size) {
    return download(sha, size, progress.add(sha, MediaProgress.Direction.DOWNLOAD, size));
  }

  private boolean download(String sha, Long size, Progress.Entry entry) {
    boolean ok = false;
    try {
      ok = downloadTracked(sha, size, entry);
      return ok;
    } finally {
      progress.state(entry, ok ? MediaProgress.State.DONE : MediaProgress.State.FAILED);
    }
  }

  private boolean downloadTracked(String sha, Long size, Progress.Entry entry) {
    Path part = partialDir.resolve(sha + ".part");
    long offset = 0;
    try {
      Files.createDirectories(partialDir);
      if (Files.exists(part)) {
        offset = Files.size(part);
        if (size != null && offset > size) {
          Files.delete(part);
          offset = 0;
        }
      }
      entry.done.set(offset);
      progress.state(entry, MediaProgress.State.TRANSFERRING);
      if (size == null || offset < size) {
        try (Transport.Response response = api.downloadMedia(sha, offset)) {
          boolean append = offset > 0 && response.status() == 206;
          if (append && !contentRangeStartsAt(response, offset)) {
            throw new IOException("unexpected Content-Range for resume at " + offset);
          }
          if (!append) {
            entry.done.set(0); // the whole file comes again
          }
          long from = offset;
          if (entry.total < 0) {
            response
                .header("Content-Length")
                .map(String::strip)
                .filter(v -> v.matches("[0-9]{1,18}"))
                .ifPresent(v -> entry.total = (append ? from : 0) + Long.parseLong(v));
          }
          try (InputStream in = ApiClient.counting(response.body(), progress.counter(entry));
              OutputStream out =
                  Files.newOutputStream(
                      part,
                      StandardOpenOption.CREATE,
                      StandardOpenOption.WRITE,
                      append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            in.transferTo(out);
          }
        }
      }
      String actual = hash(part);
      if (!sha.equals(actual)) {
        Files.deleteIfExists(part);
        store.mediaState(sha, size, "failed", 0, "hash mismatch: got " + actual, true);
        return false;
      }
      long length = Files.size(part);
      entry.total = length;
      entry.done.set(length);
      moveIntoPlace(part, dir.resolve(sha));
      store.mediaState(sha, length, "present", length, null, false);
      return true;
    } catch (ApiException e) {
      if (e.status() == 416) {
        deleteQuietly(part); // The partial file does not fit the object: start over next time.
      }
      store.mediaState(sha, size, "failed", partLength(part), e.getMessage(), true);
      return false;
    } catch (IOException | RuntimeException e) {
      // The partial file stays; the next run resumes from its length.
      store.mediaState(sha, size, "failed", partLength(part), String.valueOf(e.getMessage()), true);
      return false;
    }
  }

  private static boolean contentRangeStartsAt(Transport.Response response, long offset) {
    return response
        .header("Content-Range")
        .map(v -> v.trim().startsWith("bytes " + offset + "-"))
        .orElse(true);
  }

  private static long partLength(Path part) {
    try {
      return Files.exists(part) ? Files.size(part) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // Retried next run.
    }
  }

  private static void moveIntoPlace(Path from, Path to) throws IOException {
    Files.createDirectories(to.getParent());
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static String hash(Path file) throws IOException {
    MessageDigest md = sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
