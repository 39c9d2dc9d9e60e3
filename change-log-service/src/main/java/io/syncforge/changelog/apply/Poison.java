package io.syncforge.changelog.apply;

/** Makes text from a poisoned mutation storable in PostgreSQL {@code text} columns. */
final class Poison {

  private static final int MAX_MESSAGE = 1000;

  private Poison() {}

  /** The text without NUL characters (PostgreSQL refuses them), at most 1000 characters. */
  static String clean(String s) {
    if (s == null) {
      return "";
    }
    String t = s.replace('\u0000', '?');
    return t.length() <= MAX_MESSAGE ? t : t.substring(0, MAX_MESSAGE);
  }

  /** The value itself if PostgreSQL can store it as {@code text}, else null. */
  static String storableOrNull(String s) {
    return s == null || s.indexOf('\u0000') >= 0 ? null : s;
  }
}
