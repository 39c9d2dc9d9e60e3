package io.syncforge.media.upload;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Parsing and allow-listing of upload content types. */
public final class ContentTypes {

  /** What an upload without {@code Content-Type} is taken to be (RFC 9110, 8.3). */
  public static final String DEFAULT = "application/octet-stream";

  private static final Pattern TOKEN = Pattern.compile("[a-z0-9!#$&^_.+-]{1,127}");

  private ContentTypes() {}

  /**
   * {@code type/subtype} in lower case without parameters, {@link #DEFAULT} for a missing header,
   * null for a malformed one.
   */
  public static String normalize(String header) {
    if (header == null || header.isBlank()) {
      return DEFAULT;
    }
    String value = header;
    int semicolon = value.indexOf(';');
    if (semicolon >= 0) {
      value = value.substring(0, semicolon);
    }
    value = value.strip().toLowerCase(Locale.ROOT);
    int slash = value.indexOf('/');
    if (slash < 0
        || !TOKEN.matcher(value.substring(0, slash)).matches()
        || !TOKEN.matcher(value.substring(slash + 1)).matches()) {
      return null;
    }
    return value;
  }

  /** Whether a normalized type matches one of the patterns ({@code image/png}, {@code image/*}). */
  public static boolean allowed(String type, List<String> patterns) {
    for (String raw : patterns) {
      String p = raw.strip().toLowerCase(Locale.ROOT);
      if (p.equals("*/*") || p.equals(type)) {
        return true;
      }
      if (p.endsWith("/*") && type.startsWith(p.substring(0, p.length() - 1))) {
        return true;
      }
    }
    return false;
  }
}
