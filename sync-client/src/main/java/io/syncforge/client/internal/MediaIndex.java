package io.syncforge.client.internal;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The media index ({@code media_files}): which files the device has, is downloading or still has to
 * upload. Each method is one statement (atomic on its own); {@link LocalStore} serializes callers.
 */
public final class MediaIndex extends SqlTable {
  private final Clock clock;

  MediaIndex(SqlDriver.Connection conn, Clock clock) {
    super(conn, null);
    this.clock = clock;
  }

  /** A row of the media index. */
  public record MediaRow(
      String sha256,
      Long size,
      String contentType,
      String fileName,
      String state,
      long bytesDownloaded,
      boolean uploadPending,
      int attempts,
      String lastError) {}

  private static final String MEDIA_COLS =
      "sha256, size, content_type, file_name, state, bytes_downloaded, upload_pending, attempts,"
          + " last_error";

  private MediaRow toMedia(Sql.Rs rs) {
    return new MediaRow(
        rs.getString(1),
        rs.getLongOrNull(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getInt(7) != 0,
        rs.getInt(8),
        rs.getString(9));
  }

  Optional<MediaRow> get(String sha256) {
    return Optional.ofNullable(
        query(
            "SELECT " + MEDIA_COLS + " FROM media_files WHERE sha256 = ?",
            this::toMedia,
            null,
            sha256));
  }

  List<MediaRow> uploads() {
    return queryList(
        "SELECT " + MEDIA_COLS + " FROM media_files WHERE upload_pending = 1 ORDER BY updated_at",
        this::toMedia);
  }

  /** Records a file attached locally and queues its upload (the durable upload queue entry). */
  void attached(String sha256, long size, String contentType, String fileName) {
    update(
        "INSERT INTO media_files (sha256, size, content_type, file_name, state,"
            + " bytes_downloaded, upload_pending, updated_at) VALUES (?, ?, ?, ?, 'present',"
            + " ?, 1, ?) ON CONFLICT(sha256) DO UPDATE SET state = 'present',"
            + " size = excluded.size, bytes_downloaded = excluded.size, upload_pending = 1,"
            + " content_type = excluded.content_type, file_name = excluded.file_name,"
            + " updated_at = excluded.updated_at",
        sha256,
        size,
        contentType,
        fileName,
        size,
        clock.millis());
  }

  void uploaded(String sha256) {
    update(
        "UPDATE media_files SET upload_pending = 0, last_error = NULL, updated_at = ?"
            + " WHERE sha256 = ?",
        clock.millis(),
        sha256);
  }

  void state(
      String sha256, Long size, String state, long bytes, String error, boolean countAttempt) {
    update(
        "INSERT INTO media_files (sha256, size, state, bytes_downloaded, attempts,"
            + " last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT(sha256) DO UPDATE SET size = COALESCE(excluded.size, size),"
            + " state = excluded.state, bytes_downloaded = excluded.bytes_downloaded,"
            + " attempts = attempts + excluded.attempts, last_error = excluded.last_error,"
            + " updated_at = excluded.updated_at",
        sha256,
        size,
        state,
        bytes,
        countAttempt ? 1 : 0,
        error,
        clock.millis());
  }

  void uploadFailed(String sha256, String error) {
    update(
        "UPDATE media_files SET attempts = attempts + 1, last_error = ?, updated_at = ?"
            + " WHERE sha256 = ?",
        error,
        clock.millis(),
        sha256);
  }
}
