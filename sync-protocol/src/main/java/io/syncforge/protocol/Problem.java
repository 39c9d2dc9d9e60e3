package io.syncforge.protocol;

import java.util.List;

/**
 * The {@code application/problem+json} body (RFC 9457) of every error response.
 *
 * @param type {@code https://syncforge.io/problems/<code>}
 * @param title short summary of the code, the same for every occurrence
 * @param status the HTTP status
 * @param detail what went wrong in this request, for a developer
 * @param code the stable {@link ErrorCode} wire string clients branch on
 * @param traceId id of this request in the server logs
 * @param resetReason for a 410 only: {@code cursor_expired | scope_changed | log_epoch_changed}
 * @param errors per-field violations of a 400, absent otherwise
 */
public record Problem(
    String type,
    String title,
    int status,
    String detail,
    String code,
    String traceId,
    String resetReason,
    List<FieldError> errors) {

  /** The media type of a problem body. */
  public static final String MEDIA_TYPE = "application/problem+json";

  /** Copies {@code errors} defensively. */
  public Problem {
    errors = errors == null ? null : List.copyOf(errors);
  }

  /** A problem for {@code code}; {@code resetReason} is filled in for the 410 codes. */
  public static Problem of(ErrorCode code, String detail, String traceId) {
    return new Problem(
        code.type(),
        code.title(),
        code.status(),
        detail,
        code.code(),
        traceId,
        code.resetReason().map(ResetReason::wire).orElse(null),
        null);
  }

  /** This problem with the given per-field violations. */
  public Problem withErrors(List<FieldError> fieldErrors) {
    return new Problem(type, title, status, detail, code, traceId, resetReason, fieldErrors);
  }
}
