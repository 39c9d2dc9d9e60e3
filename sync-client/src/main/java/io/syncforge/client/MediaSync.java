package io.syncforge.client;

import io.syncforge.client.internal.MediaEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Media files beside records. Files are addressed by SHA-256: {@link #attach(Path)} returns the
 * hash at once, so a record can reference it before the upload happens. Downloads of the files
 * named by {@code _media} records happen during {@link SyncClient#sync()} (after records), or with
 * {@link #sync()}. Thread-safe; obtained from {@link SyncClient#media()}.
 */
public final class MediaSync {
  private final SyncClient client;
  private final MediaEngine engine;

  MediaSync(SyncClient client, MediaEngine engine) {
    this.client = client;
    this.engine = engine;
  }

  /**
   * Hashes {@code file}, copies it into the media directory and queues its upload (a durable local
   * queue entry, uploaded by the next sync).
   *
   * @return the file's SHA-256, 64 lower-case hex characters
   */
  public String attach(Path file) throws IOException {
    return attach(file, null);
  }

  /** As {@link #attach(Path)}, with an explicit content type (else probed from the file name). */
  public String attach(Path file, String contentType) throws IOException {
    if (file == null) {
      throw new NullPointerException("file == null");
    }
    client.checkOpen();
    return engine.attach(file, contentType);
  }

  /** How often, at most, a file's moving bytes are reported to progress listeners. */
  public static final Duration PROGRESS_INTERVAL = Duration.ofMillis(100);

  /** The progress of the current (or last) media run: per file and overall. */
  public MediaProgress progress() {
    return engine.progress();
  }

  /**
   * Adds a progress listener (called on the client's callback executor when a file starts, ends or
   * fails, and at most every {@link #PROGRESS_INTERVAL} per file while bytes move).
   */
  public void addProgressListener(MediaProgressListener listener) {
    if (listener == null) {
      throw new NullPointerException("listener == null");
    }
    client.listeners().addMedia(listener);
  }

  /** Removes a progress listener. */
  public void removeProgressListener(MediaProgressListener listener) {
    client.listeners().removeMedia(listener);
  }

  /** The verified local copy of {@code sha256}, if downloaded or attached. */
  public Optional<Path> file(String sha256) {
    if (sha256 == null) {
      throw new NullPointerException("sha256 == null");
    }
    return engine.file(sha256);
  }

  /**
   * Uploads queued files and downloads missing or mismatched ones now, on the calling thread
   * (downloads run on the client's media pool). Failures are recorded and retried later.
   */
  public Result sync() {
    client.checkOpen();
    MediaEngine.Counts c = engine.runSafely();
    return new Result(c.downloaded(), c.uploaded(), c.failed());
  }

  /**
   * What one media run did.
   *
   * @param downloaded files downloaded and verified
   * @param uploaded files uploaded
   * @param failed transfers that failed and will be retried later
   */
  public record Result(int downloaded, int uploaded, int failed) {}
}
