package io.syncforge.media.download;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A single satisfiable byte range of an object (RFC 9110, 14.1.2), both ends inclusive.
 *
 * @param start the first byte
 * @param end the last byte
 */
public record ByteRange(long start, long end) {

  private static final Pattern SINGLE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

  /** Thrown for a well-formed range that lies outside the object: answer 416. */
  public static final class Unsatisfiable extends Exception {
    Unsatisfiable(String message) {
      super(message, null, false, false);
    }
  }

  /** The number of bytes in the range. */
  public long length() {
    return end - start + 1;
  }

  /** The {@code Content-Range} value for an object of {@code size} bytes. */
  public String contentRange(long size) {
    return "bytes " + start + "-" + end + "/" + size;
  }

  /**
   * Parses a {@code Range} header against an object of {@code size} bytes.
   *
   * @return the range, or null when the header is absent, malformed or asks for several ranges (all
   *     of which RFC 9110 allows a server to ignore and answer with the whole object)
   * @throws Unsatisfiable when the range starts at or after the end of the object, or is an empty
   *     suffix ({@code bytes=-0})
   */
  public static ByteRange parse(String header, long size) throws Unsatisfiable {
    if (header == null) {
      return null;
    }
    Matcher m = SINGLE.matcher(header.strip());
    if (!m.matches()) {
      return null;
    }
    String first = m.group(1);
    String last = m.group(2);
    if (first.isEmpty() && last.isEmpty()) {
      return null;
    }
    if (first.isEmpty()) {
      long suffix = Long.parseLong(last);
      if (suffix == 0 || size == 0) {
        throw new Unsatisfiable("empty suffix range");
      }
      return new ByteRange(Math.max(0, size - suffix), size - 1);
    }
    long start = Long.parseLong(first);
    if (!last.isEmpty() && Long.parseLong(last) < start) {
      return null;
    }
    if (start >= size) {
      throw new Unsatisfiable("range starts at or after the end of " + size + " bytes");
    }
    long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
    return new ByteRange(start, end);
  }
}
