package io.syncforge.protocol.cursor;

import io.syncforge.protocol.cursor.CursorException.Kind;

/** Reads a token's bytes; running out is TRUNCATED, a bad encoding MALFORMED. */
final class TokenReader {
  private final byte[] data;
  private final String what;
  private int pos;

  TokenReader(byte[] data, String what) {
    this.data = data;
    this.what = what;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return data.length - pos;
  }

  int readByte() {
    if (pos >= data.length) {
      throw truncated();
    }
    return data[pos++] & 0xff;
  }

  byte[] readBytes(int n) {
    if (remaining() < n) {
      throw truncated();
    }
    byte[] out = new byte[n];
    System.arraycopy(data, pos, out, 0, n);
    pos += n;
    return out;
  }

  /** An unsigned LEB128 varint of at most 63 bits, in its shortest form. */
  long readVarint() {
    long result = 0;
    for (int i = 0; i < 9; i++) {
      int b = readByte();
      result |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw new CursorException(Kind.MALFORMED, what + " has a non-canonical number");
        }
        return result;
      }
    }
    throw new CursorException(Kind.MALFORMED, what + " has a number longer than 9 bytes");
  }

  private CursorException truncated() {
    return new CursorException(Kind.TRUNCATED, what + " is truncated");
  }
}
