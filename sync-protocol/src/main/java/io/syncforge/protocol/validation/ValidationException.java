package io.syncforge.protocol.validation;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.FieldError;

/** An input rule was broken; carries the error code, the JSON path and a message. */
public final class ValidationException extends RuntimeException {
  private final ErrorCode code;
  private final String path;
  private final String reason;

  /** Creates the exception; {@code message} must not contain secrets, it goes to the client. */
  public ValidationException(ErrorCode code, String path, String message) {
    super(path + ": " + message);
    this.code = code;
    this.path = path;
    this.reason = message;
  }

  /** The error code to answer with. */
  public ErrorCode code() {
    return code;
  }

  /** The JSON path (or parameter name) of the offending value. */
  public String path() {
    return path;
  }

  /** The message without the path. */
  public String reason() {
    return reason;
  }

  /** As a per-field error of a problem body. */
  public FieldError toFieldError() {
    return new FieldError(path, reason);
  }
}
