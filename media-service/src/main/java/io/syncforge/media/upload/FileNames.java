package io.syncforge.media.upload;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns an {@code X-File-Name} header into a display name that is safe everywhere it may end up (a
 * device's file system, a download dialog, a log line). The name is never used as a server path;
 * content is stored under its hash.
 */
public final class FileNames {

  /** Longest kept name, in characters. */
  public static final int MAX_LENGTH = 255;

  private FileNames() {}

  /**
   * Percent-decodes UTF-8 ({@code %C3%A9}; a header carries only Latin-1 otherwise; raw UTF-8
   * bytes, which arrive as Latin-1 characters, are repaired too), keeps only the last path segment
   * (after {@code /} or {@code \}), drops control characters, trims and caps the length. Returns
   * null for a name with nothing left, or {@code .} / {@code ..}.
   */
  public static String sanitize(String raw) {
    if (raw == null) {
      return null;
    }
    String name = percentDecode(rawUtf8(raw));
    int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
    name = name.substring(slash + 1);
    StringBuilder kept = new StringBuilder(name.length());
    name.codePoints()
        .filter(cp -> !Character.isISOControl(cp) && Character.getType(cp) != Character.FORMAT)
        .forEach(kept::appendCodePoint);
    name = kept.toString().strip();
    if (name.codePointCount(0, name.length()) > MAX_LENGTH) {
      name = name.substring(0, name.offsetByCodePoints(0, MAX_LENGTH)).strip();
    }
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      return null;
    }
    return name;
  }

  /** A header value whose Latin-1 characters are valid UTF-8 bytes, decoded as UTF-8. */
  static String rawUtf8(String s) {
    boolean nonAscii = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > 0xFF) {
        return s;
      }
      nonAscii |= c >= 0x80;
    }
    if (!nonAscii) {
      return s;
    }
    return strictUtf8(s.getBytes(StandardCharsets.ISO_8859_1), s);
  }

  /** Strict %XX decoding as UTF-8; the input unchanged if it is not valid percent-encoding. */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          return s;
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return s;
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        return s;
      }
    }
    return strictUtf8(bytes.toByteArray(), s);
  }

  /** {@code bytes} decoded as UTF-8; {@code otherwise} if they are not valid UTF-8. */
  private static String strictUtf8(byte[] bytes, String otherwise) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return otherwise;
    }
  }
}
