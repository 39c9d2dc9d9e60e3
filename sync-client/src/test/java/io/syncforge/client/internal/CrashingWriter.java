package io.syncforge.client.internal;

import io.syncforge.protocol.Json;
import io.syncforge.protocol.Op;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Run in a child JVM by {@link LocalStoreTest}: writes a record and halts the JVM (no shutdown
 * hooks, no rollback, like a killed process) between the record write and the queue insert.
 */
public final class CrashingWriter {
  private CrashingWriter() {}

  public static void main(String[] args) {
    var mapper = Json.newMapper();
    LocalStore store = new LocalStore(Path.of(args[0]), mapper, Clock.systemUTC());
    store.write("tasks", "committed", Op.UPSERT, mapper.createObjectNode().put("ok", true));
    store.setAfterRecordWriteHook(() -> Runtime.getRuntime().halt(42));
    store.write("tasks", "torn", Op.UPSERT, mapper.createObjectNode().put("ok", false));
    System.exit(0); // not reached
  }
}
