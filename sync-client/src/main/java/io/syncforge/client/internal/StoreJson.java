package io.syncforge.client.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON columns of the local database: one way to write and read them for every table class. */
final class StoreJson {

  private StoreJson() {}

  /** A node as column text; null stays null. */
  static String write(ObjectMapper mapper, JsonNode node) {
    return node == null ? null : value(mapper, node);
  }

  /** Any value as column text. */
  static String value(ObjectMapper mapper, Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A queued mutation's column text; unreadable is a corrupt store. */
  static io.syncforge.protocol.Mutation mutation(ObjectMapper mapper, String json) {
    try {
      return mapper.readValue(json, io.syncforge.protocol.Mutation.class);
    } catch (JsonProcessingException e) {
      throw new StoreException("corrupt mutation in local database: " + e.getMessage(), e);
    }
  }

  /** Column text as an object; null stays null; anything else unreadable is a corrupt store. */
  static ObjectNode object(ObjectMapper mapper, String json) {
    if (json == null) {
      return null;
    }
    try {
      return (ObjectNode) mapper.readTree(json);
    } catch (JsonProcessingException e) {
      throw new StoreException("corrupt JSON in local database: " + e.getMessage(), e);
    }
  }
}
