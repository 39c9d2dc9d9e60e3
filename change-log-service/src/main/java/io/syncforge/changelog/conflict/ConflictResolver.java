package io.syncforge.changelog.conflict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ConflictPolicy;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.OutcomeStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The conflict rules: given a record's server state and a mutation, decide the new state and the
 * outcome. Plain Java, no I/O, deterministic; see {@code docs/sync-protocol.md}, "Conflicts".
 *
 * <p>Field-level: every top-level field carries the version that last changed it. A field the
 * mutation changes conflicts only when the server changed it after the mutation's {@code
 * baseVersion} to a different value; fields that did not conflict merge cleanly. Conflicts are
 * settled by the collection's policy and always reported ({@code merged}), even when the server
 * value is kept. Deleting and restoring is tracked as the pseudo-field {@value #DELETED_FIELD}.
 */
public final class ConflictResolver {

  /** The pseudo-field reported for delete-versus-edit conflicts. */
  public static final String DELETED_FIELD = "_deleted";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * Decides one mutation.
   *
   * @param current the record's state, or null if the record never existed
   * @param m the mutation (already structurally valid)
   * @param policy the collection's conflict policy
   * @param receivedAt when the server received it (server clock)
   */
  public Decision resolve(
      RecordState current, Mutation m, ConflictPolicy policy, Instant receivedAt) {
    long base = m.baseVersion() == null ? 0 : m.baseVersion();
    // The device clock only breaks last-writer-wins ties, and can never claim a time after upload.
    long editTime =
        Math.min(
            (m.clientTime() != null ? m.clientTime() : receivedAt).toEpochMilli(),
            receivedAt.toEpochMilli());
    if (current != null && base > current.version()) {
      return new Decision.Reject(
          ErrorCode.CONFLICT,
          "baseVersion "
              + base
              + " is ahead of the server's version "
              + current.version()
              + "; re-read the record");
    }
    if (m.op() == Op.DELETE) {
      return delete(current, base, policy, editTime);
    }
    if (current == null) {
      if (m.op() == Op.PATCH) {
        return new Decision.Reject(
            ErrorCode.NOT_FOUND, "patch of record '" + m.recordId() + "' that does not exist");
      }
      return create(m.data(), editTime);
    }
    if (current.deleted()) {
      return writeOnTombstone(current, m, base, policy, editTime);
    }
    return writeOnLive(current, m, base, policy, editTime);
  }

  private Decision create(ObjectNode data, long editTime) {
    Map<String, Long> versions = new HashMap<>();
    Map<String, Long> times = new HashMap<>();
    data.fieldNames()
        .forEachRemaining(
            f -> {
              versions.put(f, 1L);
              times.put(f, editTime);
            });
    RecordState created = new RecordState(1, data.deepCopy(), false, versions, times, 1, editTime);
    return new Decision.Accept(created, OutcomeStatus.APPLIED, List.of(), true);
  }

  private Decision delete(RecordState current, long base, ConflictPolicy policy, long editTime) {
    if (current == null || current.deleted()) {
      // Delete of a missing or already deleted record: nothing to do, and no error to retry.
      return new Decision.Accept(current, OutcomeStatus.APPLIED, List.of(), false);
    }
    if (current.version() <= base) {
      return new Decision.Accept(
          tombstone(current, editTime), OutcomeStatus.APPLIED, List.of(), true);
    }
    // Delete after an update the device had not seen.
    boolean clientWins =
        switch (policy) {
          case SERVER_WINS -> false;
          case CLIENT_WINS -> true;
          case LAST_WRITER_WINS -> editTime > current.latestEditTime();
        };
    Conflict conflict =
        new Conflict(
            DELETED_FIELD,
            NODES.booleanNode(true),
            NODES.booleanNode(false),
            NODES.booleanNode(clientWins),
            policy);
    return clientWins
        ? new Decision.Accept(
            tombstone(current, editTime), OutcomeStatus.MERGED, List.of(conflict), true)
        : new Decision.Accept(current, OutcomeStatus.MERGED, List.of(conflict), false);
  }

  private static RecordState tombstone(RecordState current, long editTime) {
    long v = current.version() + 1;
    return new RecordState(
        v, current.data(), true, current.fieldVersions(), current.fieldTimes(), v, editTime);
  }

  private Decision writeOnTombstone(
      RecordState current, Mutation m, long base, ConflictPolicy policy, long editTime) {
    List<Conflict> conflicts = new ArrayList<>();
    if (current.stateVersion() > base) {
      // Update after a delete the device had not seen.
      boolean clientWins =
          switch (policy) {
            case SERVER_WINS -> false;
            case CLIENT_WINS -> true;
            case LAST_WRITER_WINS -> editTime > current.stateTime();
          };
      conflicts.add(
          new Conflict(
              DELETED_FIELD,
              NODES.booleanNode(false),
              NODES.booleanNode(true),
              NODES.booleanNode(!clientWins),
              policy));
      if (!clientWins) {
        return new Decision.Accept(current, OutcomeStatus.MERGED, conflicts, false);
      }
    }
    // Restore: an upsert brings the whole record, a patch applies onto the last live fields.
    ObjectNode data = m.op() == Op.UPSERT ? m.data().deepCopy() : current.data().deepCopy();
    if (m.op() == Op.PATCH) {
      applyPatch(data, m.data());
    }
    long v = current.version() + 1;
    Map<String, Long> versions = new HashMap<>(current.fieldVersions());
    Map<String, Long> times = new HashMap<>(current.fieldTimes());
    for (String f : changedFields(current.data(), data)) {
      versions.put(f, v);
      times.put(f, editTime);
    }
    RecordState restored = new RecordState(v, data, false, versions, times, v, editTime);
    return new Decision.Accept(
        restored,
        conflicts.isEmpty() ? OutcomeStatus.APPLIED : OutcomeStatus.MERGED,
        conflicts,
        true);
  }

  private Decision writeOnLive(
      RecordState current, Mutation m, long base, ConflictPolicy policy, long editTime) {
    ObjectNode incoming = m.data();
    Set<String> fields = new LinkedHashSet<>();
    incoming.fieldNames().forEachRemaining(fields::add);
    if (m.op() == Op.UPSERT) {
      // An upsert states the whole record: a field it leaves out is removed.
      current.data().fieldNames().forEachRemaining(fields::add);
    }
    ObjectNode data = current.data().deepCopy();
    List<Conflict> conflicts = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    for (String f : fields) {
      JsonNode server = current.data().get(f);
      JsonNode client = intended(m.op(), incoming, f);
      if (same(server, client)) {
        continue;
      }
      boolean serverChangedSinceBase = current.fieldVersions().getOrDefault(f, 0L) > base;
      boolean take = true;
      if (serverChangedSinceBase) {
        take =
            switch (policy) {
              case SERVER_WINS -> false;
              case CLIENT_WINS -> true;
              case LAST_WRITER_WINS -> editTime > current.fieldTimes().getOrDefault(f, 0L);
            };
        conflicts.add(
            new Conflict(
                f, orNull(client), orNull(server), orNull(take ? client : server), policy));
      }
      if (take) {
        if (client == null) {
          data.remove(f);
        } else {
          data.set(f, client.deepCopy());
        }
        changed.add(f);
      }
    }
    OutcomeStatus status = conflicts.isEmpty() ? OutcomeStatus.APPLIED : OutcomeStatus.MERGED;
    if (changed.isEmpty()) {
      return new Decision.Accept(current, status, conflicts, false);
    }
    long v = current.version() + 1;
    Map<String, Long> versions = new HashMap<>(current.fieldVersions());
    Map<String, Long> times = new HashMap<>(current.fieldTimes());
    for (String f : changed) {
      versions.put(f, v);
      times.put(f, editTime);
    }
    RecordState next =
        new RecordState(
            v, data, false, versions, times, current.stateVersion(), current.stateTime());
    return new Decision.Accept(next, status, conflicts, true);
  }

  /** The value the mutation wants for a field; null means "absent" (removed). */
  private static JsonNode intended(Op op, ObjectNode incoming, String field) {
    JsonNode v = incoming.get(field);
    if (op == Op.PATCH && v != null && v.isNull()) {
      return null; // In a patch, null removes the field.
    }
    return v;
  }

  private static void applyPatch(ObjectNode target, ObjectNode patch) {
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isNull()) {
        target.remove(e.getKey());
      } else {
        target.set(e.getKey(), e.getValue().deepCopy());
      }
    }
  }

  private static List<String> changedFields(ObjectNode before, ObjectNode after) {
    Set<String> all = new LinkedHashSet<>();
    before.fieldNames().forEachRemaining(all::add);
    after.fieldNames().forEachRemaining(all::add);
    List<String> changed = new ArrayList<>();
    for (String f : all) {
      if (!same(before.get(f), after.get(f))) {
        changed.add(f);
      }
    }
    return changed;
  }

  private static boolean same(JsonNode a, JsonNode b) {
    return a == null ? b == null : a.equals(b);
  }

  private static JsonNode orNull(JsonNode n) {
    return n == null ? NODES.nullNode() : n;
  }
}
