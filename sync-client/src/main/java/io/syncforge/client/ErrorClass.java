package io.syncforge.client;

/**
 * How a sync failure should be treated: retry later, give up on the request, or re-authenticate.
 */
public enum ErrorClass {
  /** Network errors, timeouts, {@code 429}, {@code 5xx}: retried with backoff. */
  RETRYABLE,
  /** Any other {@code 4xx}: retrying the same request will not help. */
  PERMANENT,
  /** {@code 401}: no retry until the app provides a new token ({@link SyncClient#setToken}). */
  AUTH
}
