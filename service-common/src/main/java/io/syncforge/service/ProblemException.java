package io.syncforge.service;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.ResetReason;
import java.util.List;

/**
 * An error with a stable code, answered as {@code application/problem+json} by {@link
 * ProblemMapper}. Throw it from resources and services; never put internals in the detail.
 */
public class ProblemException extends RuntimeException {

  private final ErrorCode code;
  private final List<FieldError> errors;
  private final ResetReason resetReason;
  private final Integer retryAfterSeconds;

  /** A problem with a code and a human-readable detail. */
  public ProblemException(ErrorCode code, String detail) {
    this(code, detail, List.of(), null, null);
  }

  /** A problem with per-field errors. */
  public ProblemException(ErrorCode code, String detail, List<FieldError> errors) {
    this(code, detail, errors, null, null);
  }

  private ProblemException(
      ErrorCode code,
      String detail,
      List<FieldError> errors,
      ResetReason resetReason,
      Integer retryAfterSeconds) {
    super(detail);
    this.code = code;
    this.errors = errors == null ? List.of() : List.copyOf(errors);
    this.resetReason = resetReason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** A 410 that tells the client to reset, and why. */
  public static ProblemException reset(ErrorCode code, ResetReason reason, String detail) {
    return new ProblemException(code, detail, List.of(), reason, null);
  }

  /** A 503 {@code unavailable} with a {@code Retry-After} header. */
  public static ProblemException unavailable(String detail, int retryAfterSeconds) {
    return new ProblemException(ErrorCode.UNAVAILABLE, detail, List.of(), null, retryAfterSeconds);
  }

  /** A 429 {@code too_many_requests} with a {@code Retry-After} header (issue 13). */
  public static ProblemException tooManyRequests(String detail, int retryAfterSeconds) {
    return new ProblemException(
        ErrorCode.TOO_MANY_REQUESTS, detail, List.of(), null, retryAfterSeconds);
  }

  /** A problem with a {@code Retry-After} header (e.g. {@code 429 too_many_requests}). */
  public static ProblemException withRetryAfter(
      ErrorCode code, String detail, int retryAfterSeconds) {
    return new ProblemException(code, detail, List.of(), null, retryAfterSeconds);
  }

  /** The stable code. */
  public ErrorCode code() {
    return code;
  }

  /** Per-field errors, possibly empty. */
  public List<FieldError> errors() {
    return errors;
  }

  /** Why a client must reset, for 410s; else null. */
  public ResetReason resetReason() {
    return resetReason;
  }

  /** Seconds for {@code Retry-After}, or null. */
  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
