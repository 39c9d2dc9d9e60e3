package io.syncforge.client;

import java.time.Duration;
import java.time.Instant;

/**
 * The outcome of one {@link SyncClient#sync()} run. Local data is never lost by a failed run: the
 * pending queue is kept and the cursor only moves together with the data it describes.
 */
public sealed interface SyncResult {

  /** The error class of a failed run; empty for {@link Success}. */
  default ErrorClass errorClass() {
    return null;
  }

  /** True for {@link Success}. */
  default boolean isSuccess() {
    return this instanceof Success;
  }

  /**
   * The run completed: queue uploaded (as far as the server settled it), log pulled to the end.
   *
   * @param pushed mutations uploaded in this run
   * @param settled mutations removed from the queue because their outcome became final
   * @param pulled changes (and snapshot records) received
   * @param conflicts outcomes with status {@code merged} reported in this run
   * @param rejected outcomes with status {@code rejected} reported in this run
   * @param stillPending mutations still in the queue after the run
   * @param mediaDownloaded files downloaded and verified
   * @param mediaUploaded files uploaded
   * @param mediaFailed media transfers that failed (retried by a later run; never a run failure)
   * @param snapshotReset true when the run re-read server state from a snapshot
   * @param serverTime the server's clock at the end of the run, if any response carried it
   */
  record Success(
      int pushed,
      int settled,
      int pulled,
      int conflicts,
      int rejected,
      long stillPending,
      int mediaDownloaded,
      int mediaUploaded,
      int mediaFailed,
      boolean snapshotReset,
      Instant serverTime)
      implements SyncResult {}

  /**
   * The server could not be reached, the connection broke, timed out or returned an unreadable
   * (e.g. truncated) body. Retryable.
   *
   * @param message what happened
   */
  record NetworkError(String message) implements SyncResult {
    @Override
    public ErrorClass errorClass() {
      return ErrorClass.RETRYABLE;
    }
  }

  /**
   * The server answered {@code 401}: the token is missing, invalid or expired. Nothing is retried
   * until {@link SyncClient#setToken(String)}.
   *
   * @param message the server's problem detail
   */
  record AuthError(String message) implements SyncResult {
    @Override
    public ErrorClass errorClass() {
      return ErrorClass.AUTH;
    }
  }

  /**
   * The server answered with an error other than {@code 401}.
   *
   * @param status the HTTP status
   * @param code the problem {@code code}, e.g. {@code unavailable}; may be null for non-problem
   *     bodies
   * @param message the problem detail or a summary
   * @param classification {@link ErrorClass#RETRYABLE} for 429/5xx, else {@link
   *     ErrorClass#PERMANENT}
   * @param retryAfter the server's {@code Retry-After}, or null
   */
  record ServerError(
      int status, String code, String message, ErrorClass classification, Duration retryAfter)
      implements SyncResult {
    @Override
    public ErrorClass errorClass() {
      return classification;
    }
  }
}
