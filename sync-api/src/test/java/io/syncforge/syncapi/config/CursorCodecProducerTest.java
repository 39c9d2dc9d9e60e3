package io.syncforge.syncapi.config;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CursorCodecProducerTest {

  @Test
  void withoutAUsableKeyTheServiceDoesNotStart() {
    assertThrows(IllegalStateException.class, () -> CursorCodecProducer.fromKey(Optional.empty()));
    assertThrows(
        IllegalStateException.class, () -> CursorCodecProducer.fromKey(Optional.of("%%%")));
    assertThrows(
        IllegalStateException.class, () -> CursorCodecProducer.fromKey(Optional.of("c2hvcnQ=")));
    assertNotNull(
        CursorCodecProducer.fromKey(Optional.of("dGVzdC1vbmx5LWN1cnNvci1rZXktMDEyMzQ1Njc4OWE=")));
  }
}
