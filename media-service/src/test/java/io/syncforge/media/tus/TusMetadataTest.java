package io.syncforge.media.tus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.syncforge.service.ProblemException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TusMetadataTest {

  @Test
  void parsesPairsAndValuelessKeys() {
    // "filename" = "résumé.pdf", "is_confidential" without a value, as tus-js-client sends them
    assertEquals(
        Map.of("filename", "résumé.pdf", "is_confidential", "", "filetype", "application/pdf"),
        TusMetadata.parse(
            "filename csOpc3Vtw6kucGRm,is_confidential, filetype YXBwbGljYXRpb24vcGRm"));
    assertEquals(Map.of(), TusMetadata.parse(null));
    assertEquals(Map.of(), TusMetadata.parse("  "));
  }

  @Test
  void malformedHeadersAre400() {
    for (String bad :
        new String[] {
          "a b,,c d", "a !!!", "a YQ==,a YQ==", ",", "k\u00e9y YQ==", "x".repeat(9000)
        }) {
      assertThrows(ProblemException.class, () -> TusMetadata.parse(bad), bad);
    }
  }
}
