package io.syncforge.protocol.cursor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.cursor.CursorException.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class CursorCodecTest {
  private static final byte[] KEY =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  private final CursorCodec codec = new CursorCodec(KEY);

  @Test
  void randomCursorsRoundTrip() {
    Random r = new Random(20261125L);
    for (int i = 0; i < 5000; i++) {
      Cursor c = randomCursor(r);
      String token = codec.encode(c);
      assertTrue(token.length() <= Limits.MAX_CURSOR_CHARS, "token too long: " + token.length());
      assertTrue(token.chars().allMatch(ch -> ALPHABET.indexOf(ch) >= 0), token);
      assertEquals(c, codec.decode(token, c.partitionCount(), c.epoch()));
    }
  }

  @Test
  void startCursorAndExtremesRoundTrip() {
    Cursor start = Cursor.start(Cursor.DEFAULT_EPOCH, Cursor.scopeHash(List.of()), 12);
    assertEquals(start, codec.decode(codec.encode(start), 12, 1));
    long[] max = new long[Limits.MAX_PARTITIONS];
    Arrays.fill(max, Long.MAX_VALUE);
    Cursor biggest = new Cursor(Long.MAX_VALUE, -1, max);
    String token = codec.encode(biggest);
    assertTrue(token.length() <= Limits.MAX_CURSOR_CHARS, "largest cursor exceeds the cap");
    assertEquals(biggest, codec.decode(token, Limits.MAX_PARTITIONS, Long.MAX_VALUE));
  }

  @Test
  void layoutMatchesTheDocumentedFormat() throws Exception {
    int scope = Cursor.scopeHash(List.of("tasks"));
    String token = codec.encode(new Cursor(1, scope, new long[] {0, 300, 5}));
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(1); // version
    body.write(1); // epoch
    body.write(3); // partitions
    body.write(scope >>> 24);
    body.write(scope >>> 16);
    body.write(scope >>> 8);
    body.write(scope);
    body.writeBytes(new byte[] {0, (byte) 0xac, 0x02, 5});
    assertEquals(encodeWithMac(body.toByteArray(), KEY), token);
  }

  @Test
  void everyBitFlipIsRejected() {
    Random r = new Random(7);
    for (int i = 0; i < 40; i++) {
      Cursor c = i == 0 ? Cursor.start(1, 0, 1) : randomCursor(r);
      byte[] bytes = Base64.getUrlDecoder().decode(codec.encode(c));
      for (int at = 0; at < bytes.length; at++) {
        for (int bit = 0; bit < 8; bit++) {
          byte[] flipped = bytes.clone();
          flipped[at] ^= (byte) (1 << bit);
          String token = Base64.getUrlEncoder().withoutPadding().encodeToString(flipped);
          Kind kind = rejectKind(token, c);
          boolean inMacOrVersion = at == 0 || at >= bytes.length - CursorCodec.MAC_BYTES;
          if (inMacOrVersion) {
            assertEquals(Kind.TAMPERED, kind, "byte " + at + " bit " + bit);
          } else {
            // A flip that sets a continuation bit or raises the count makes the content look
            // longer than the bytes: indistinguishable from a cut-off token, so TRUNCATED.
            assertTrue(
                EnumSet.of(Kind.TAMPERED, Kind.MALFORMED, Kind.TRUNCATED).contains(kind),
                "byte " + at + " bit " + bit + " gave " + kind);
          }
        }
      }
    }
  }

  @Test
  void everyCharacterSubstitutionIsRejected() {
    Cursor c = new Cursor(3, 42, new long[] {0, 1, 127, 128, 1L << 40, Long.MAX_VALUE});
    String token = codec.encode(c);
    for (int at = 0; at < token.length(); at++) {
      for (char ch : (ALPHABET + "=+/. %\u00e9").toCharArray()) {
        if (ch == token.charAt(at)) {
          continue;
        }
        String bad = token.substring(0, at) + ch + token.substring(at + 1);
        Kind kind = rejectKind(bad, c);
        assertTrue(
            EnumSet.of(Kind.TAMPERED, Kind.MALFORMED, Kind.TRUNCATED).contains(kind),
            "char " + at + " -> " + ch + " gave " + kind);
      }
    }
  }

  @Test
  void everyTruncationIsRejected() {
    Random r = new Random(11);
    for (int i = 0; i < 40; i++) {
      Cursor c = randomCursor(r);
      String token = codec.encode(c);
      for (int len = 1; len < token.length(); len++) {
        Kind kind = rejectKind(token.substring(0, len), c);
        assertTrue(
            kind == Kind.TRUNCATED || kind == Kind.MALFORMED, "length " + len + " gave " + kind);
      }
      byte[] bytes = Base64.getUrlDecoder().decode(token);
      for (int len = 1; len < bytes.length; len++) {
        String cut =
            Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(bytes, len));
        assertEquals(Kind.TRUNCATED, rejectKind(cut, c), "byte length " + len);
      }
    }
  }

  @Test
  void trailingBytesAreMalformed() {
    Cursor c = Cursor.start(1, 0, 4);
    byte[] bytes = Base64.getUrlDecoder().decode(codec.encode(c));
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(longer);
    assertEquals(Kind.MALFORMED, rejectKind(token, c));
  }

  @Test
  void garbageIsRejected() {
    Cursor c = Cursor.start(1, 0, 12);
    assertEquals(Kind.EMPTY, rejectKind(null, c));
    assertEquals(Kind.EMPTY, rejectKind("", c));
    for (String s :
        List.of("!!!!", "abc=", "AQ==", "a b", "A", "AAAAA", "../etc/passwd", "zażółć", "{}")) {
      assertEquals(Kind.MALFORMED, rejectKind(s, c), s);
    }
    assertEquals(Kind.MALFORMED, rejectKind("A".repeat(Limits.MAX_CURSOR_CHARS + 1), c));
    Random r = new Random(99);
    for (int i = 0; i < 20000; i++) {
      StringBuilder sb = new StringBuilder();
      int len = 1 + r.nextInt(80);
      for (int j = 0; j < len; j++) {
        sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
      }
      rejectKind(sb.toString(), c); // fails the test if it decodes
    }
  }

  @Test
  void otherEpochOrPartitionCountIsWrongEpoch() {
    String token = codec.encode(new Cursor(1, 0, new long[12]));
    CursorException e = assertThrows(CursorException.class, () -> codec.decode(token, 24, 1));
    assertEquals(Kind.WRONG_EPOCH, e.kind());
    assertEquals(ErrorCode.LOG_EPOCH_CHANGED, e.errorCode());
    assertTrue(e.getMessage().contains("24 partitions"), e.getMessage());
    e = assertThrows(CursorException.class, () -> codec.decode(token, 12, 2));
    assertEquals(Kind.WRONG_EPOCH, e.kind());
  }

  @Test
  void anotherKeyIsTampered() {
    Cursor c = Cursor.start(1, 0, 12);
    String token =
        new CursorCodec("another-key-another-key".getBytes(StandardCharsets.UTF_8)).encode(c);
    assertEquals(Kind.TAMPERED, rejectKind(token, c));
  }

  @Test
  void authenticTokenOfAnotherVersionIsUnsupported() throws Exception {
    byte[] body = {2, 1, 1, 0, 0, 0, 0, 0};
    CursorException e =
        assertThrows(CursorException.class, () -> codec.decode(encodeWithMac(body, KEY), 1, 1));
    assertEquals(Kind.UNSUPPORTED_VERSION, e.kind());
    assertEquals(ErrorCode.CURSOR_INVALID, e.errorCode());
  }

  @Test
  void authenticButImpossibleContentIsMalformed() throws Exception {
    // 257 partitions (varint 0x81 0x02), more than any server issues.
    assertEquals(Kind.MALFORMED, rejectRaw(new byte[] {1, 1, (byte) 0x81, 0x02, 0, 0, 0, 0}));
    // zero partitions
    assertEquals(Kind.MALFORMED, rejectRaw(new byte[] {1, 1, 0, 0, 0, 0, 0}));
    // position 0 written in two bytes: not the shortest form
    assertEquals(Kind.MALFORMED, rejectRaw(new byte[] {1, 1, 1, 0, 0, 0, 0, (byte) 0x80, 0}));
    // a ten-byte varint
    byte[] tooLong = {1, 1, 1, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1};
    assertEquals(Kind.MALFORMED, rejectRaw(tooLong));
  }

  @Test
  void pageTokenRoundTripAndRejections() throws Exception {
    String cursor = codec.encode(Cursor.start(1, 0, 12));
    PageToken pt = new PageToken(cursor, "tasks", "rec:1@a");
    String token = codec.encodePageToken(pt);
    assertEquals(pt, codec.decodePageToken(token));

    assertEquals(Kind.EMPTY, rejectPage(""));
    assertEquals(Kind.MALFORMED, rejectPage("not a token"));
    // tokens of one kind are never accepted as the other
    rejectPage(cursor);
    rejectKind(token, Cursor.start(1, 0, 12));
    // ...even when the bytes fit the other layout: the MACs are domain-separated.
    // These bytes are a valid body in both layouts: page ("\1", "b", "cd") and cursor (epoch 1,
    // one partition, scopeHash 0x01620263, position 100).
    byte[] both = {1, 1, 1, 1, 'b', 2, 'c', 'd'};
    byte[] pageDomain = "syncforge/page-token\0".getBytes(StandardCharsets.US_ASCII);
    String asPage = encodeWithMac(concat(pageDomain, both), both, KEY);
    String asCursor = encodeWithMac(both, KEY);
    assertEquals(new PageToken("\1", "b", "cd"), codec.decodePageToken(asPage));
    assertEquals(new Cursor(1, 0x01620263, new long[] {100}), codec.decode(asCursor, 1, 1));
    assertEquals(Kind.TAMPERED, rejectPage(asCursor));
    assertEquals(Kind.TAMPERED, rejectKind(asPage, Cursor.start(1, 0, 1)));
    byte[] bytes = Base64.getUrlDecoder().decode(token);
    for (int at = 0; at < bytes.length; at++) {
      byte[] flipped = bytes.clone();
      flipped[at] ^= 0x01;
      Kind kind = rejectPage(Base64.getUrlEncoder().withoutPadding().encodeToString(flipped));
      assertTrue(
          EnumSet.of(Kind.TAMPERED, Kind.MALFORMED, Kind.TRUNCATED).contains(kind), "byte " + at);
    }
    for (int len = 1; len < bytes.length; len++) {
      String cut =
          Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(bytes, len));
      assertEquals(Kind.TRUNCATED, rejectPage(cut), "byte length " + len);
    }
  }

  @Test
  void shortKeyIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new CursorCodec(new byte[15]));
    assertThrows(NullPointerException.class, () -> new CursorCodec(null));
  }

  @Test
  void kindsMapToErrorCodes() {
    for (Kind k : Kind.values()) {
      ErrorCode expected =
          k == Kind.WRONG_EPOCH ? ErrorCode.LOG_EPOCH_CHANGED : ErrorCode.CURSOR_INVALID;
      assertEquals(expected, k.errorCode(), k.name());
    }
  }

  // --- helpers ---

  private static Cursor randomCursor(Random r) {
    int partitions = 1 + r.nextInt(256);
    long[] positions = new long[partitions];
    for (int p = 0; p < partitions; p++) {
      positions[p] =
          switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1000);
            case 2 -> Long.MAX_VALUE;
            default -> r.nextLong() & Long.MAX_VALUE;
          };
    }
    long epoch = r.nextBoolean() ? 1 + r.nextInt(5) : r.nextLong() & Long.MAX_VALUE;
    return new Cursor(epoch, r.nextInt(), positions);
  }

  /** Decodes and returns why it was refused; fails the test if the token is accepted. */
  private Kind rejectKind(String token, Cursor original) {
    try {
      Cursor decoded = codec.decode(token, original.partitionCount(), original.epoch());
      fail("accepted " + token + " as " + decoded);
      return null;
    } catch (CursorException e) {
      assertNotEquals(null, e.getMessage());
      return e.kind();
    }
  }

  private Kind rejectRaw(byte[] body) throws Exception {
    return rejectRaw(body, new byte[0]);
  }

  private Kind rejectRaw(byte[] body, byte[] macDomain) throws Exception {
    String token = encodeWithMac(concat(macDomain, body), body, KEY);
    try {
      codec.decode(token, 1, 1);
      fail("accepted " + token);
      return null;
    } catch (CursorException e) {
      return e.kind();
    }
  }

  private Kind rejectPage(String token) {
    try {
      PageToken decoded = codec.decodePageToken(token);
      fail("accepted " + token + " as " + decoded);
      return null;
    } catch (CursorException e) {
      return e.kind();
    }
  }

  /** Appends the documented MAC (first 12 bytes of HMAC-SHA256) and base64url-encodes. */
  static String encodeWithMac(byte[] body, byte[] key) throws Exception {
    return encodeWithMac(body, body, key);
  }

  /** Token of {@code body} followed by the MAC of {@code macInput}. */
  static String encodeWithMac(byte[] macInput, byte[] body, byte[] key) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    byte[] tag = Arrays.copyOf(mac.doFinal(macInput), 12);
    byte[] all = Arrays.copyOf(body, body.length + 12);
    System.arraycopy(tag, 0, all, body.length, 12);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(all);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
