package io.syncforge.media.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ContentTypesTest {

  @Test
  void normalizesAndMatchesTheAllowList() {
    assertEquals("image/png", ContentTypes.normalize("Image/PNG; q=1"));
    assertEquals("application/octet-stream", ContentTypes.normalize(null));
    assertNull(ContentTypes.normalize("png"));
    assertNull(ContentTypes.normalize("image/../x"));
    List<String> allowed = List.of("image/*", "application/pdf");
    assertTrue(ContentTypes.allowed("image/webp", allowed));
    assertTrue(ContentTypes.allowed("application/pdf", allowed));
    assertFalse(ContentTypes.allowed("application/pdf2", allowed));
    assertFalse(ContentTypes.allowed("imagex/png", allowed));
  }
}
