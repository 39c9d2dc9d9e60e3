package io.syncforge.client.internal;

import io.syncforge.client.ErrorClass;
import io.syncforge.client.SyncResult;
import io.syncforge.protocol.ErrorCode;
import java.time.Duration;

/** A failed HTTP exchange, already classified. */
public final class ApiException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What kind of failure. */
  public enum Kind {
    /** IO error, timeout, unreadable body. */
    NETWORK,
    /** 401. */
    AUTH,
    /** 410, or 400 cursor_invalid: start again from a snapshot. */
    RESET,
    /** Any other error status. */
    HTTP
  }

  private final Kind kind;
  private final int status;
  private final String code;
  private final Duration retryAfter;

  public ApiException(Kind kind, int status, String code, String message, Duration retryAfter) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  public static ApiException network(String message, Throwable cause) {
    ApiException e = new ApiException(Kind.NETWORK, 0, null, message, null);
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  public Kind kind() {
    return kind;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  /** Retryable for 429 and 5xx, permanent for the other statuses. */
  public ErrorClass errorClass() {
    return switch (kind) {
      case NETWORK -> ErrorClass.RETRYABLE;
      case AUTH -> ErrorClass.AUTH;
      case RESET -> ErrorClass.RETRYABLE;
      case HTTP ->
          status == 429 || status >= 500 || ErrorCode.UNAVAILABLE.code().equals(code)
              ? ErrorClass.RETRYABLE
              : ErrorClass.PERMANENT;
    };
  }

  /** As a sync result. */
  public SyncResult toResult() {
    return switch (kind) {
      case NETWORK -> new SyncResult.NetworkError(getMessage());
      case AUTH -> new SyncResult.AuthError(getMessage());
      case RESET, HTTP ->
          new SyncResult.ServerError(status, code, getMessage(), errorClass(), retryAfter);
    };
  }
}
