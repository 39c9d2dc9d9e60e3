package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Mutation;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Pure functions: how pending mutations show on top of server state. */
public final class Replay {
  private Replay() {}

  /** The visible state of a record: data, or null when deleted / absent. */
  public static ObjectNode visible(
      ObjectNode serverData, boolean serverLive, List<Mutation> pending) {
    ObjectNode data = serverData == null ? null : serverData.deepCopy();
    boolean live = serverLive && data != null;
    for (Mutation m : pending) {
      switch (m.op()) {
        case UPSERT -> {
          data = m.data().deepCopy();
          live = true;
        }
        case PATCH -> {
          // A patch over a server tombstone shows the last live fields plus the patch: the user's
          // edit stays visible until the server settles update-after-delete.
          data = merge(data == null ? JsonNodeFactory.instance.objectNode() : data, m.data());
          live = true;
        }
        case DELETE -> live = false;
      }
    }
    return live ? data : null;
  }

  /** {@code base} with {@code patch} applied: a JSON null removes the field. Returns a copy. */
  public static ObjectNode merge(ObjectNode base, ObjectNode patch) {
    ObjectNode out = base.deepCopy();
    Iterator<Map.Entry<String, JsonNode>> it = patch.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue() == null || e.getValue().isNull()) {
        out.remove(e.getKey());
      } else {
        out.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    return out;
  }

  /** The fields of {@code patch} that would change {@code current}; empty if none. */
  public static ObjectNode changedFields(ObjectNode current, ObjectNode patch) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    Iterator<Map.Entry<String, JsonNode>> it = patch.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode now = current.get(e.getKey());
      JsonNode next = e.getValue() == null ? JsonNodeFactory.instance.nullNode() : e.getValue();
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
}
