package io.syncforge.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON configuration of every SyncForge module, so all sides read and write the same wire
 * format.
 *
 * <ul>
 *   <li>{@code java.time} types as ISO-8601 strings ({@code 2026-11-25T22:31:00.123Z}), never
 *       numeric timestamps;
 *   <li>null fields are omitted;
 *   <li>unknown fields are ignored, so an older reader accepts a newer writer's additions (forward
 *       compatibility; see "Unknown fields" in docs/sync-protocol.md).
 * </ul>
 */
public final class Json {
  private Json() {}

  /** A new mapper with the protocol configuration. */
  public static ObjectMapper newMapper() {
    return configure(new ObjectMapper());
  }

  /**
   * Applies the protocol configuration to an existing mapper (e.g. a framework-managed one) and
   * returns it.
   */
  public static ObjectMapper configure(ObjectMapper mapper) {
    return mapper
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .setDefaultPropertyInclusion(
            JsonInclude.Value.construct(
                JsonInclude.Include.NON_NULL, JsonInclude.Include.USE_DEFAULTS));
  }
}
