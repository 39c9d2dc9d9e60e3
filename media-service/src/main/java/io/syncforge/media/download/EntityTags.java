package io.syncforge.media.download;

/** The strong entity tag of a content is its quoted hash: it can never change. */
public final class EntityTags {

  private EntityTags() {}

  /** {@code "<sha256>"}. */
  public static String of(String sha256) {
    return "\"" + sha256 + "\"";
  }

  /**
   * Whether an {@code If-None-Match} header matches (weak comparison, RFC 9110 13.1.2): {@code *}
   * or any listed tag, with or without {@code W/}.
   */
  public static boolean noneMatchHits(String ifNoneMatch, String sha256) {
    if (ifNoneMatch == null) {
      return false;
    }
    String tag = of(sha256);
    for (String candidate : ifNoneMatch.split(",")) {
      String c = candidate.strip();
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.equals("*") || c.equals(tag)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether an {@code If-Range} header allows the range: absent, or our tag (strong comparison).
   * Dates are not supported and make the server send the whole object, which RFC 9110 allows.
   */
  public static boolean ifRangeAllows(String ifRange, String sha256) {
    return ifRange == null || ifRange.strip().equals(of(sha256));
  }
}
