package io.syncforge.media.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class FileNamesTest {

  @Test
  void keepsOnlyASafeLastSegment() {
    assertEquals("passwd", FileNames.sanitize("../../etc/passwd"));
    assertEquals("x.txt", FileNames.sanitize("C:\\temp\\..\\x.txt"));
    assertEquals("secret", FileNames.sanitize("%2e%2e%2fsecret"));
    assertEquals("né.png", FileNames.sanitize("n%C3%A9.png"));
    assertEquals("100%.png", FileNames.sanitize("100%.png"));
    // raw UTF-8 bytes of "né.png" as a Latin-1 header; and real Latin-1 stays as it is
    assertEquals("né.png", FileNames.sanitize("n\u00c3\u00a9.png"));
    assertEquals("né.png", FileNames.sanitize("n\u00e9.png"));
    assertEquals("ab.png", FileNames.sanitize("a\u0000b\u202e.png"));
    assertNull(FileNames.sanitize(".."));
    assertNull(FileNames.sanitize("dir/"));
    assertNull(FileNames.sanitize("   "));
    assertNull(FileNames.sanitize(null));
    assertEquals(FileNames.MAX_LENGTH, FileNames.sanitize("a".repeat(1000)).length());
  }
}
