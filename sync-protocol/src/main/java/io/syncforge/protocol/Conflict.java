package io.syncforge.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One field changed on both sides since the mutation's base version. A JSON {@code null} value
 * means the field was absent (or null) on that side.
 *
 * @param field the top-level field name in the record's data
 * @param local the value the mutation carried
 * @param server the server value before the mutation
 * @param resolved the value stored after the mutation
 * @param policy the policy that chose {@code resolved}
 */
public record Conflict(
    String field, JsonNode local, JsonNode server, JsonNode resolved, ConflictPolicy policy) {}
