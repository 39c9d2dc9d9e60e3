package io.syncforge.protocol.cursor;

import io.syncforge.protocol.Limits;
import io.syncforge.protocol.cursor.CursorException.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns {@link Cursor}s and {@link PageToken}s into opaque, authenticated URL-safe tokens and back.
 * Thread-safe.
 *
 * <p>Cursor token, version 1: base64url without padding of
 *
 * <pre>
 * version (1 byte = 1) | epoch (varint) | partition count (varint) | scopeHash (4 bytes, big-endian)
 *   | position (varint) per partition | MAC (12 bytes)
 * </pre>
 *
 * where varints are unsigned LEB128 in shortest form and MAC is the first 12 bytes of
 * HMAC-SHA256(key, all preceding bytes). Every format version ends with such a MAC, so a token of
 * an unknown version that carries a valid MAC is reported as UNSUPPORTED_VERSION, not TAMPERED.
 *
 * <p>Page tokens use the same framing (version byte 1, three varint-length-prefixed UTF-8 strings,
 * 12-byte MAC) but their MAC input is prefixed with a domain label, so a cursor is never accepted
 * as a page token or the reverse.
 */
public final class CursorCodec {
  /** The format version this codec writes and reads. */
  public static final int FORMAT_VERSION = 1;

  /** Bytes of the truncated HMAC at the end of every token. */
  static final int MAC_BYTES = 12;

  /** Shortest accepted key, in bytes. */
  public static final int MIN_KEY_BYTES = 16;

  private static final byte[] CURSOR_DOMAIN = new byte[0];
  private static final byte[] PAGE_DOMAIN =
      "syncforge/page-token\0".getBytes(StandardCharsets.US_ASCII);
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final SecretKeySpec key;

  /**
   * @param key the HMAC key shared by all instances that must read each other's tokens; at least
   *     {@link #MIN_KEY_BYTES} bytes (32 random bytes recommended)
   */
  public CursorCodec(byte[] key) {
    if (key == null) {
      throw new NullPointerException("key == null");
    }
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("key must have at least " + MIN_KEY_BYTES + " bytes");
    }
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
  }

  /** The opaque token for {@code cursor}. */
  public String encode(Cursor cursor) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 + 9 * cursor.partitionCount());
    out.write(FORMAT_VERSION);
    writeVarint(out, cursor.epoch());
    writeVarint(out, cursor.partitionCount());
    int h = cursor.scopeHash();
    out.write(h >>> 24);
    out.write(h >>> 16);
    out.write(h >>> 8);
    out.write(h);
    for (int p = 0; p < cursor.partitionCount(); p++) {
      writeVarint(out, cursor.position(p));
    }
    return seal(out, CURSOR_DOMAIN);
  }

  /**
   * Reads a token this server (or one sharing its key) issued. The MAC is verified before any
   * decoded value is trusted; the scope is left to the caller ({@link Cursor#matchesScope}).
   *
   * @param expectedPartitions the current partition count of {@code sync.mutations}
   * @param expectedEpoch the current log epoch
   * @throws CursorException with the reason; {@link CursorException#errorCode()} is the answer
   */
  public Cursor decode(String token, int expectedPartitions, long expectedEpoch) {
    byte[] bytes = unwrap(token, "cursor", Limits.MAX_CURSOR_CHARS, CURSOR_DOMAIN);
    TokenReader in = new TokenReader(bytes, "cursor");
    in.readByte(); // version, checked by unwrap
    long epoch = in.readVarint();
    long count = in.readVarint();
    if (count < 1 || count > Limits.MAX_PARTITIONS) {
      throw new CursorException(
          Kind.MALFORMED, "cursor declares " + count + " partitions, allowed 1..256");
    }
    byte[] hash = in.readBytes(4);
    long[] positions = new long[(int) count];
    for (int p = 0; p < count; p++) {
      positions[p] = in.readVarint();
    }
    checkMac(in, bytes, CURSOR_DOMAIN, "cursor");
    if (count != expectedPartitions || epoch != expectedEpoch) {
      throw new CursorException(
          Kind.WRONG_EPOCH,
          "cursor is from log epoch "
              + epoch
              + " with "
              + count
              + " partitions; the log is now epoch "
              + expectedEpoch
              + " with "
              + expectedPartitions
              + " partitions");
    }
    int scopeHash =
        ((hash[0] & 0xff) << 24)
            | ((hash[1] & 0xff) << 16)
            | ((hash[2] & 0xff) << 8)
            | (hash[3] & 0xff);
    return new Cursor(epoch, scopeHash, positions);
  }

  /** The opaque token for a snapshot position. */
  public String encodePageToken(PageToken token) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + token.cursor().length());
    out.write(FORMAT_VERSION);
    writeString(out, token.cursor());
    writeString(out, token.lastCollection());
    writeString(out, token.lastRecordId());
    return seal(out, PAGE_DOMAIN);
  }

  /**
   * Reads a page token issued by {@link #encodePageToken}. The embedded cursor is returned as is;
   * decode it with {@link #decode} to check its epoch.
   *
   * @throws CursorException with the reason (all kinds map to {@code cursor_invalid})
   */
  public PageToken decodePageToken(String token) {
    byte[] bytes = unwrap(token, "pageToken", Limits.MAX_PAGE_TOKEN_CHARS, PAGE_DOMAIN);
    TokenReader in = new TokenReader(bytes, "pageToken");
    in.readByte(); // version, checked by unwrap
    byte[] cursor = readString(in);
    byte[] collection = readString(in);
    byte[] recordId = readString(in);
    checkMac(in, bytes, PAGE_DOMAIN, "pageToken");
    return new PageToken(utf8(cursor), utf8(collection), utf8(recordId));
  }

  // --- framing ---

  private String seal(ByteArrayOutputStream out, byte[] domain) {
    byte[] body = out.toByteArray();
    out.writeBytes(mac(domain, body, body.length));
    return ENCODER.encodeToString(out.toByteArray());
  }

  /** Base64 and version checks shared by both token kinds; returns the raw bytes. */
  private byte[] unwrap(String token, String what, int maxChars, byte[] domain) {
    if (token == null || token.isEmpty()) {
      throw new CursorException(Kind.EMPTY, what + " is empty");
    }
    if (token.length() > maxChars) {
      throw new CursorException(
          Kind.MALFORMED, what + " is longer than " + maxChars + " characters");
    }
    byte[] bytes = decodeBase64(token, what);
    int version = bytes[0] & 0xff;
    if (version != FORMAT_VERSION) {
      // Every version ends with a MAC over the rest: tell "ours, but unknown" from "forged".
      if (bytes.length > MAC_BYTES && macMatches(domain, bytes, bytes.length - MAC_BYTES)) {
        throw new CursorException(
            Kind.UNSUPPORTED_VERSION,
            what + " has format version " + version + ", this server reads " + FORMAT_VERSION);
      }
      throw new CursorException(Kind.TAMPERED, what + " is not authentic");
    }
    return bytes;
  }

  private void checkMac(TokenReader in, byte[] bytes, byte[] domain, String what) {
    int rest = in.remaining();
    if (rest < MAC_BYTES) {
      throw new CursorException(Kind.TRUNCATED, what + " is truncated");
    }
    if (rest > MAC_BYTES) {
      throw new CursorException(Kind.MALFORMED, what + " has trailing bytes");
    }
    if (!macMatches(domain, bytes, in.position())) {
      throw new CursorException(Kind.TAMPERED, what + " is not authentic");
    }
  }

  private boolean macMatches(byte[] domain, byte[] bytes, int bodyLength) {
    byte[] expected = mac(domain, bytes, bodyLength);
    byte[] actual = Arrays.copyOfRange(bytes, bodyLength, bytes.length);
    return MessageDigest.isEqual(expected, actual);
  }

  private byte[] mac(byte[] domain, byte[] bytes, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(domain);
      mac.update(bytes, 0, length);
      return Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every JVM", e);
    }
  }

  private static byte[] decodeBase64(String token, String what) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (!ok) {
        throw new CursorException(Kind.MALFORMED, what + " is not base64url");
      }
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw new CursorException(Kind.MALFORMED, what + " is not base64url");
    }
    // The JDK decoder ignores stray low bits in the last character: insist on the one encoding.
    if (bytes.length == 0 || !ENCODER.encodeToString(bytes).equals(token)) {
      throw new CursorException(Kind.MALFORMED, what + " is not canonical base64url");
    }
    return bytes;
  }

  // --- primitives ---

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative value " + value);
    }
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVarint(out, b.length);
    out.writeBytes(b);
  }

  private static byte[] readString(TokenReader in) {
    long len = in.readVarint();
    if (len > Limits.MAX_PAGE_TOKEN_CHARS) {
      throw new CursorException(Kind.MALFORMED, "pageToken declares an impossible length");
    }
    return in.readBytes((int) len);
  }

  private static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
