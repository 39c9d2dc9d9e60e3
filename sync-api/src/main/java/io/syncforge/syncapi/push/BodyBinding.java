package io.syncforge.syncapi.push;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.FieldError;
import io.syncforge.service.ProblemException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Binds a strictly read body to a wire type. A field of the wrong type or format is a {@code 400}
 * with the field's path and what was expected, in protocol words: Jackson's own messages name Java
 * classes, which must not reach a client.
 */
final class BodyBinding {
  private BodyBinding() {}

  static <T> T bind(ObjectMapper mapper, JsonNode tree, Class<T> type) {
    try {
      return mapper.treeToValue(tree, type);
    } catch (JsonMappingException e) {
      String path = path(e.getPath());
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST,
          "1 invalid field(s); nothing was accepted",
          List.of(new FieldError(path, expected(e))));
    } catch (Exception e) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "the body does not fit the request");
    }
  }

  private static String expected(JsonMappingException e) {
    Class<?> target = null;
    if (e instanceof MismatchedInputException m) {
      target = m.getTargetType();
    }
    String what = target == null ? "another type" : describe(target);
    if (e instanceof InvalidFormatException) {
      return "wrong format: expected " + what;
    }
    return "wrong type: expected " + what;
  }

  private static String describe(Class<?> t) {
    if (t == String.class) {
      return "a string";
    }
    if (t == UUID.class) {
      return "a UUID string";
    }
    if (t == Instant.class) {
      return "an ISO-8601 timestamp string";
    }
    if (t == Long.class || t == long.class || t == Integer.class || t == int.class) {
      return "an integer";
    }
    if (t == Boolean.class || t == boolean.class) {
      return "true or false";
    }
    if (Collection.class.isAssignableFrom(t) || t.isArray()) {
      return "an array";
    }
    if (t.isEnum()) {
      StringBuilder sb = new StringBuilder("one of");
      Object[] values = t.getEnumConstants();
      for (int i = 0; i < values.length; i++) {
        sb.append(i == 0 ? " " : ", ").append(values[i].toString());
      }
      return sb.toString();
    }
    return "an object";
  }

  private static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.isEmpty() ? "$" : sb.toString();
  }
}
