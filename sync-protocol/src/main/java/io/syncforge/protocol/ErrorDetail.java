package io.syncforge.protocol;

/**
 * Why a mutation was rejected.
 *
 * @param code an {@link ErrorCode} wire string, e.g. {@code invalid_request}
 * @param message what is wrong, for a developer
 */
public record ErrorDetail(String code, String message) {

  /** Detail with the wire string of {@code code}. */
  public static ErrorDetail of(ErrorCode code, String message) {
    return new ErrorDetail(code.code(), message);
  }
}
