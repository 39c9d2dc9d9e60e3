package io.syncforge.syncapi.config;

import io.quarkus.runtime.Startup;
import io.syncforge.protocol.cursor.CursorCodec;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Base64;
import java.util.Optional;

/** The one cursor codec, keyed by {@code sync.api.cursor-key}; fails the start without a key. */
@Singleton
public class CursorCodecProducer {

  @Produces
  @Singleton
  @Startup
  CursorCodec codec(SyncApiConfig config) {
    return fromKey(config.cursorKey());
  }

  /** The codec for a base64 key; refuses a missing, malformed or short key. */
  static CursorCodec fromKey(Optional<String> base64Key) {
    String encoded =
        base64Key.orElseThrow(
            () ->
                new IllegalStateException(
                    "sync.api.cursor-key is required (base64, at least "
                        + CursorCodec.MIN_KEY_BYTES
                        + " bytes, shared by every sync-api instance)"));
    byte[] key;
    try {
      key = Base64.getDecoder().decode(encoded.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("sync.api.cursor-key is not valid base64");
    }
    if (key.length < CursorCodec.MIN_KEY_BYTES) {
      throw new IllegalStateException(
          "sync.api.cursor-key must decode to at least " + CursorCodec.MIN_KEY_BYTES + " bytes");
    }
    return new CursorCodec(key);
  }
}
