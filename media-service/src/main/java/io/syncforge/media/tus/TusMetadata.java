package io.syncforge.media.tus;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.ProblemException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The tus {@code Upload-Metadata} header: comma-separated {@code key base64value} pairs (the value
 * may be absent). Keys are ASCII without spaces or commas and unique.
 */
public final class TusMetadata {

  private TusMetadata() {}

  /**
   * Parses the header; null or blank gives an empty map.
   *
   * @throws ProblemException 400 for a malformed header
   */
  public static Map<String, String> parse(String header) {
    Map<String, String> out = new HashMap<>();
    if (header == null || header.isBlank()) {
      return out;
    }
    if (header.length() > 8192) {
      throw bad("Upload-Metadata is longer than 8192 characters");
    }
    for (String pair : header.split(",", -1)) {
      String p = pair.strip();
      if (p.isEmpty()) {
        throw bad("Upload-Metadata has an empty pair");
      }
      int space = p.indexOf(' ');
      String key = space < 0 ? p : p.substring(0, space);
      String value = space < 0 ? "" : p.substring(space + 1).strip();
      if (key.isEmpty() || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw bad("Upload-Metadata has an invalid key");
      }
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw bad("Upload-Metadata value of " + key + " is not base64");
      }
      if (out.put(key, decoded) != null) {
        throw bad("Upload-Metadata repeats the key " + key);
      }
    }
    return out;
  }

  private static ProblemException bad(String detail) {
    return new ProblemException(ErrorCode.INVALID_REQUEST, detail);
  }
}
