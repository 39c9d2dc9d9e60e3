package io.syncforge.client;

import java.util.List;

/**
 * Progress of the media transfers of the current (or last) media run, for a UI: per file and
 * overall. Immutable; from {@link MediaSync#progress()}, {@link SyncStatus#media()} and {@link
 * MediaProgressListener}.
 *
 * @param files every file of the run, in the order the run took them up
 * @param running true while the run is in progress
 */
public record MediaProgress(List<FileProgress> files, boolean running) {

  /** No media run yet. */
  public static final MediaProgress NONE = new MediaProgress(List.of(), false);

  public MediaProgress {
    files = List.copyOf(files);
  }

  /** The direction of a transfer. */
  public enum Direction {
    UPLOAD,
    DOWNLOAD
  }

  /** The state of one file's transfer. */
  public enum State {
    /** Waiting for a transfer slot. */
    QUEUED,
    /** Bytes are moving. */
    TRANSFERRING,
    /** Uploaded, or downloaded and verified. */
    DONE,
    /** Failed in this run; retried by a later one. */
    FAILED
  }

  /**
   * One file.
   *
   * @param sha256 the file's hash
   * @param direction upload or download
   * @param bytesDone bytes the server holds (upload, including an earlier run's resumed part) or
   *     the device holds (download, including a resumed partial file)
   * @param bytesTotal the file's size, or -1 when not known yet
   * @param state queued, transferring, done or failed
   */
  public record FileProgress(
      String sha256, Direction direction, long bytesDone, long bytesTotal, State state) {}

  /** Files done (uploaded or verified). */
  public int filesDone() {
    return (int) files.stream().filter(f -> f.state() == State.DONE).count();
  }

  /** Files failed in this run. */
  public int filesFailed() {
    return (int) files.stream().filter(f -> f.state() == State.FAILED).count();
  }

  /** Bytes done over all files. */
  public long bytesDone() {
    return files.stream().mapToLong(FileProgress::bytesDone).sum();
  }

  /** Bytes in all over the files whose size is known. */
  public long bytesTotal() {
    return files.stream().mapToLong(f -> Math.max(0, f.bytesTotal())).sum();
  }
}
