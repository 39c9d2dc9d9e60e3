package io.syncforge.changelog.conflict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.changelog.store.RecordState;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ConflictPolicy;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.OutcomeStatus;
import io.syncforge.protocol.RecordRules;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
 * baseVersion} to a different value and that change was another client's (a device never conflicts
 * with itself: every field also carries the clientId that last wrote it); fields that did not
 * conflict merge cleanly. Conflicts are settled by the collection's policy and always reported
 * ({@code merged}), even when the server value is kept. Deleting and restoring is tracked as the
 * pseudo-field {@value #DELETED_FIELD}.
 */
public final class ConflictResolver {

  /** The pseudo-field reported for delete-versus-edit conflicts. */
  public static final String DELETED_FIELD = RecordRules.DELETED_FIELD;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * Decides one mutation of an unknown client (every earlier change counts as another client's) on
   * a record whose tenant has no version floor.
   */
  public Decision resolve(
      RecordState current, Mutation m, ConflictPolicy policy, Instant receivedAt) {
    return resolve(current, m, policy, receivedAt, null, 0);
  }

  /**
   * Decides one mutation.
   *
   * @param current the record's state, or null if the record does not exist (never did, or its
   *     tombstone was purged)
   * @param m the mutation (already structurally valid)
   * @param policy the collection's conflict policy
   * @param receivedAt when the server received it (server clock)
   * @param clientId the client that sent it: its own earlier changes never conflict with it
   * @param floor for a record that does not exist: the highest version a purged record of this
   *     (tenant, collection) had, so a new one starts above it (0 if none was purged)
   */
  public Decision resolve(
      RecordState current,
      Mutation m,
      ConflictPolicy policy,
      Instant receivedAt,
      String clientId,
      long floor) {
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
      return delete(current, base, policy, editTime, clientId, floor);
    }
    if (current == null) {
      if (m.op() == Op.PATCH) {
        return new Decision.Reject(
            ErrorCode.NOT_FOUND, "patch of record '" + m.recordId() + "' that does not exist");
      }
      return create(m.data(), editTime, clientId, floor);
    }
    if (current.deleted()) {
      return writeOnTombstone(current, m, base, policy, editTime, clientId);
    }
    return writeOnLive(current, m, base, policy, editTime, clientId);
  }

  private Decision create(ObjectNode data, long editTime, String clientId, long floor) {
    long v = floor + 1;
    Map<String, Long> versions = new HashMap<>();
    Map<String, Long> times = new HashMap<>();
    Map<String, String> writers = new HashMap<>();
    data.fieldNames()
        .forEachRemaining(
            f -> {
              versions.put(f, v);
              times.put(f, editTime);
              if (clientId != null) {
                writers.put(f, clientId);
              }
            });
    RecordState created =
        new RecordState(v, data.deepCopy(), false, versions, times, v, editTime, writers, clientId);
    return new Decision.Accept(created, OutcomeStatus.APPLIED, List.of(), true);
  }

  private Decision delete(
      RecordState current,
      long base,
      ConflictPolicy policy,
      long editTime,
      String clientId,
      long floor) {
    if (current == null) {
      // Never existed (or purged): a tombstone with a new version, so the delete is idempotent,
      // a device that created the record offline without pushing it hears "deleted" like others,
      // and a later re-create continues above it. Its state version stays 0: nobody created or
      // deleted a real record, so a later create by any client is no update-after-delete.
      long v = floor + 1;
      RecordState tomb =
          new RecordState(
              v, NODES.objectNode(), true, Map.of(), Map.of(), 0, editTime, Map.of(), clientId);
      return new Decision.Accept(tomb, OutcomeStatus.APPLIED, List.of(), true);
    }
    if (current.deleted()) {
      // Already deleted: nothing to do; the outcome carries the tombstone's version.
      return new Decision.Accept(current, OutcomeStatus.APPLIED, List.of(), false);
    }
    if (!current.changedByOther(base, clientId)) {
      return new Decision.Accept(
          tombstone(current, editTime, clientId), OutcomeStatus.APPLIED, List.of(), true);
    }
    // Delete after an update by another client the device had not seen.
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
            tombstone(current, editTime, clientId), OutcomeStatus.MERGED, List.of(conflict), true)
        : new Decision.Accept(current, OutcomeStatus.MERGED, List.of(conflict), false);
  }

  private static RecordState tombstone(RecordState current, long editTime, String clientId) {
    long v = current.version() + 1;
    return new RecordState(
        v,
        current.data(),
        true,
        current.fieldVersions(),
        current.fieldTimes(),
        v,
        editTime,
        current.fieldWriters(),
        clientId);
  }

  private Decision writeOnTombstone(
      RecordState current,
      Mutation m,
      long base,
      ConflictPolicy policy,
      long editTime,
      String clientId) {
    List<Conflict> conflicts = new ArrayList<>();
    if (current.stateChangedByOther(base, clientId)) {
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
      RecordRules.applyPatch(data, m.data());
    }
    long v = current.version() + 1;
    Map<String, Long> versions = new HashMap<>(current.fieldVersions());
    Map<String, Long> times = new HashMap<>(current.fieldTimes());
    Map<String, String> writers = new HashMap<>(current.fieldWriters());
    for (String f : changedFields(current.data(), data)) {
      versions.put(f, v);
      times.put(f, editTime);
      putWriter(writers, f, clientId);
    }
    RecordState restored =
        new RecordState(v, data, false, versions, times, v, editTime, writers, clientId);
    return new Decision.Accept(
        restored,
        conflicts.isEmpty() ? OutcomeStatus.APPLIED : OutcomeStatus.MERGED,
        conflicts,
        true);
  }

  private Decision writeOnLive(
      RecordState current,
      Mutation m,
      long base,
      ConflictPolicy policy,
      long editTime,
      String clientId) {
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
      // Only another client's change after the base is concurrent: never the device's own.
      boolean serverChangedSinceBase = current.fieldChangedByOther(f, base, clientId);
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
    Map<String, String> writers = new HashMap<>(current.fieldWriters());
    for (String f : changed) {
      versions.put(f, v);
      times.put(f, editTime);
      putWriter(writers, f, clientId);
    }
    RecordState next =
        new RecordState(
            v,
            data,
            false,
            versions,
            times,
            current.stateVersion(),
            current.stateTime(),
            writers,
            current.stateWriter());
    return new Decision.Accept(next, status, conflicts, true);
  }

  private static void putWriter(Map<String, String> writers, String f, String clientId) {
    if (clientId == null) {
      writers.remove(f);
    } else {
      writers.put(f, clientId);
    }
  }

  /** The value the mutation wants for a field; null means "absent" (removed). */
  private static JsonNode intended(Op op, ObjectNode incoming, String field) {
    JsonNode v = incoming.get(field);
    if (op == Op.PATCH && v != null && v.isNull()) {
      return null; // In a patch, null removes the field.
    }
    return v;
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
