package io.syncforge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The record rules that devices and the writer both apply, in one place (pure functions, no I/O):
 * how a patch changes a record, how a device folds its queued edits of one record into one
 * mutation, how pending mutations show on top of server state, and how a {@code merged} outcome's
 * resolution (including the {@value #DELETED_FIELD} pseudo-field) is applied. See
 * docs/sync-protocol.md sections 3 and 13.
 */
public final class RecordRules {
  /** The pseudo-field a delete-versus-edit conflict is reported on. */
  public static final String DELETED_FIELD = "_deleted";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RecordRules() {}

  /**
   * Applies {@code patch} to {@code target} in place: each field replaces the target's (a copy of
   * it), a JSON {@code null} removes the field. Fields the patch does not name stay.
   */
  public static void applyPatch(ObjectNode target, ObjectNode patch) {
    Iterator<Map.Entry<String, JsonNode>> it = patch.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue() == null || e.getValue().isNull()) {
        target.remove(e.getKey());
      } else {
        target.set(e.getKey(), e.getValue().deepCopy());
      }
    }
  }

  /** {@code base} with {@code patch} applied (see {@link #applyPatch}); returns a copy. */
  public static ObjectNode merge(ObjectNode base, ObjectNode patch) {
    ObjectNode out = base.deepCopy();
    applyPatch(out, patch);
    return out;
  }

  /**
   * The fields of {@code patch} that would change {@code current}: a patch reduced to its effect
   * (empty if none). A {@code null} stays only for a field {@code current} has.
   */
  public static ObjectNode changedFields(ObjectNode current, ObjectNode patch) {
    ObjectNode out = NODES.objectNode();
    Iterator<Map.Entry<String, JsonNode>> it = patch.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode now = current.get(e.getKey());
      JsonNode next = e.getValue() == null ? NODES.nullNode() : e.getValue();
      if (next.isNull()) {
        if (now != null) {
          out.putNull(e.getKey());
        }
      } else if (now == null || !now.equals(next)) {
        out.set(e.getKey(), next.deepCopy());
      }
    }
    return out;
  }

  /**
   * The state of a record after {@code mutations} in order, from {@code data} ({@code null} or not
   * {@code live}: absent or a tombstone whose last live fields {@code data} may still hold). An
   * upsert states the whole record; a patch applies onto the current (or, over a tombstone, the
   * last live) fields and makes the record live; a delete makes it a tombstone.
   *
   * @return the live data afterwards, or null when absent or deleted
   */
  public static ObjectNode replay(ObjectNode data, boolean live, List<Mutation> mutations) {
    ObjectNode state = data == null ? null : data.deepCopy();
    boolean isLive = live && state != null;
    for (Mutation m : mutations) {
      switch (m.op()) {
        case UPSERT -> {
          state = m.data().deepCopy();
          isLive = true;
        }
        case PATCH -> {
          state = merge(state == null ? NODES.objectNode() : state, m.data());
          isLive = true;
        }
        case DELETE -> isLive = false;
      }
    }
    return isLive ? state : null;
  }

  /**
   * One mutation with the effect of {@code first} then {@code next} on any state (so a device's
   * consecutive offline edits of a record travel as one mutation and never conflict with each
   * other). Keeps {@code first}'s id and base version, takes {@code next}'s client time.
   *
   * <ul>
   *   <li>… then upsert = that upsert; … then delete = a delete;
   *   <li>patch then patch = one patch (later values, and null removals, win);
   *   <li>upsert (or delete) then patch = an upsert of the patched record (after a delete: of the
   *       patch alone, as the record is gone).
   * </ul>
   */
  public static Mutation fold(Mutation first, Mutation next) {
    Op op;
    ObjectNode data;
    switch (next.op()) {
      case UPSERT -> {
        op = Op.UPSERT;
        data = next.data();
      }
      case DELETE -> {
        op = Op.DELETE;
        data = null;
      }
      default -> {
        if (first.op() == Op.PATCH) {
          op = Op.PATCH;
          data = first.data().deepCopy();
          data.setAll(next.data()); // later values (and null removals) win
        } else {
          op = Op.UPSERT; // an upsert (or a delete) followed by a patch states the whole record
          data = merge(first.data() == null ? NODES.objectNode() : first.data(), next.data());
        }
      }
    }
    return new Mutation(
        first.mutationId(),
        first.collection(),
        first.recordId(),
        op,
        first.baseVersion(),
        data,
        next.clientTime());
  }

  /** A record's state: live data, or a tombstone. */
  public record State(ObjectNode data, boolean deleted) {}

  /**
   * Applies a {@code merged} outcome's resolution to a record's state: each conflict's {@code
   * resolved} value replaces the field ({@code null} removes it); on {@value #DELETED_FIELD} it
   * tells whether the record ends deleted. A state without data ends deleted.
   */
  public static State resolve(ObjectNode data, boolean deleted, List<Conflict> conflicts) {
    ObjectNode out = data == null ? null : data.deepCopy();
    boolean isDeleted = deleted;
    for (Conflict c : conflicts) {
      JsonNode resolved = c.resolved();
      if (DELETED_FIELD.equals(c.field())) {
        isDeleted = resolved != null && resolved.asBoolean(false);
      } else if (out != null) {
        if (resolved == null || resolved.isNull()) {
          out.remove(c.field());
        } else {
          out.set(c.field(), resolved.deepCopy());
        }
      }
    }
    return new State(out, out == null || isDeleted);
  }
}
