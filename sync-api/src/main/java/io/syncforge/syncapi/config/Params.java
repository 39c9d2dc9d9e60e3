package io.syncforge.syncapi.config;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.protocol.validation.ValidationException;
import io.syncforge.service.ProblemException;
import java.util.List;

/** Query parameter parsing with problem+json answers (400 {@code invalid_request}). */
public final class Params {
  private Params() {}

  /** An integer parameter in {@code min..max}, or {@code fallback} when absent or empty. */
  public static int intIn(String name, String value, int min, int max, int fallback) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      int v = Integer.parseInt(value.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw invalid(name, "must be an integer in " + min + ".." + max);
  }

  /**
   * The {@code limit} of a pull or snapshot page: 1 to the configured maximum (never above the
   * protocol's), the configured default (capped the same way) when absent.
   */
  public static int pageLimit(String value, SyncApiConfig config) {
    int max = Math.min(config.pull().maxLimit(), Limits.MAX_PULL_LIMIT);
    return intIn("limit", value, 1, max, Math.min(config.pull().defaultLimit(), max));
  }

  /**
   * The caller's client id: the {@code X-Client-Id} header wins over the {@code clientId} query
   * parameter; null when neither is given.
   */
  public static String clientId(String header, String query) {
    String v = header != null && !header.isEmpty() ? header : query;
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return Ids.validateClientId(
          v, header != null && !header.isEmpty() ? "X-Client-Id" : "clientId");
    } catch (ValidationException e) {
      throw invalid(e.path(), e.reason());
    }
  }

  /** Empty means absent. */
  public static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static ProblemException invalid(String name, String message) {
    return new ProblemException(
        ErrorCode.INVALID_REQUEST,
        "invalid parameter " + name,
        List.of(new FieldError(name, message)));
  }
}
