package io.syncforge.protocol.validation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.PushRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Structural checks of pushed mutations, before they reach Kafka. Whether the collection exists and
 * who may write it are the services' business, not this class's. Thread-safe.
 */
public final class MutationValidator {
  private static final ObjectMapper MAPPER = Json.newMapper();

  private final int maxRecordBytes;
  private final boolean allowSystemCollections;

  /** Device defaults: {@link Limits#MAX_RECORD_BYTES}, no system collections. */
  public MutationValidator() {
    this(Limits.MAX_RECORD_BYTES, false);
  }

  /**
   * @param maxRecordBytes largest serialized {@code data}, in UTF-8 bytes
   * @param allowSystemCollections true for trusted writers (the media service)
   */
  public MutationValidator(int maxRecordBytes, boolean allowSystemCollections) {
    if (maxRecordBytes <= 0) {
      throw new IllegalArgumentException("maxRecordBytes <= 0");
    }
    this.maxRecordBytes = maxRecordBytes;
    this.allowSystemCollections = allowSystemCollections;
  }

  /**
   * Checks a whole push body: client id, mutation count (at most {@code maxMutations}) and each
   * mutation at path {@code mutations[i]}.
   *
   * @return every violation found; empty when valid
   */
  public List<FieldError> validate(PushRequest request, int maxMutations) {
    List<FieldError> errors = new ArrayList<>();
    if (request == null) {
      errors.add(new FieldError("", "body is required"));
      return errors;
    }
    check(errors, () -> Ids.validateClientId(request.clientId(), "clientId"));
    List<Mutation> mutations = request.mutations();
    if (mutations == null) {
      errors.add(new FieldError("mutations", "is required"));
      return errors;
    }
    if (mutations.size() > maxMutations) {
      errors.add(new FieldError("mutations", "at most " + maxMutations + " mutations per request"));
      return errors;
    }
    for (int i = 0; i < mutations.size(); i++) {
      errors.addAll(validate(mutations.get(i), "mutations[" + i + "]"));
    }
    return errors;
  }

  /**
   * Checks one mutation; paths are {@code prefix.field}, e.g. {@code mutations[3].recordId}.
   *
   * @return every violation found; empty when valid
   */
  public List<FieldError> validate(Mutation m, String prefix) {
    List<FieldError> errors = new ArrayList<>();
    String p = prefix == null || prefix.isEmpty() ? "" : prefix + ".";
    if (m == null) {
      errors.add(new FieldError(prefix, "mutation is required"));
      return errors;
    }
    if (m.mutationId() == null) {
      errors.add(new FieldError(p + "mutationId", "is required"));
    }
    check(
        errors,
        () -> Ids.validateCollection(m.collection(), p + "collection", allowSystemCollections));
    check(errors, () -> Ids.validateRecordId(m.recordId(), p + "recordId"));
    if (m.baseVersion() != null && m.baseVersion() < 0) {
      errors.add(new FieldError(p + "baseVersion", "must be null or >= 0"));
    }
    if (m.op() == null) {
      errors.add(new FieldError(p + "op", "is required (upsert, patch or delete)"));
    } else if (m.op() == Op.DELETE) {
      if (m.data() != null && !m.data().isEmpty()) {
        errors.add(new FieldError(p + "data", "must be absent or empty for delete"));
      }
    } else if (m.data() == null) {
      errors.add(new FieldError(p + "data", "an object is required for " + m.op()));
    } else {
      int size = serializedSize(m);
      if (size > maxRecordBytes) {
        errors.add(
            new FieldError(
                p + "data", "is " + size + " bytes, more than the limit of " + maxRecordBytes));
      }
    }
    return errors;
  }

  private static int serializedSize(Mutation m) {
    try {
      return MAPPER.writeValueAsString(m.data()).getBytes(StandardCharsets.UTF_8).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }

  private static void check(List<FieldError> errors, Runnable rule) {
    try {
      rule.run();
    } catch (ValidationException e) {
      errors.add(e.toFieldError());
    }
  }
}
