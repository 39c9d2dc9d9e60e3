package io.syncforge.e2e;

import io.syncforge.client.SyncClient;
import io.syncforge.client.SyncResult;
import java.nio.file.Path;
import java.util.Map;

/**
 * A sync-client device as its own process, for {@link DeviceProcessKillIT}: {@code DeviceMain
 * <apiUrl> <token> <sqlite file> <edits>} makes sure the device has written records {@code c-0 ..
 * c-<edits-1>} (those a killed earlier run already wrote stay), prints {@code WROTE}, then syncs
 * until nothing is pending and a sync pulled nothing (at most 600 rounds), prints {@code SETTLED}
 * and exits 0. Killing it at any moment must lose nothing: its SQLite file is reopened by the next
 * run.
 */
public final class DeviceMain {

  private DeviceMain() {}

  public static void main(String[] args) {
    try (SyncClient c =
        SyncClient.builder()
            .baseUrl(args[0])
            .token(args[1])
            .database(Path.of(args[2]))
            .pullLimit(200)
            .snapshotPageSize(200)
            .mediaDuringSync(false)
            .build()) {
      int edits = Integer.parseInt(args[3]);
      var notes = c.collection("notes");
      for (int i = 0; i < edits; i++) {
        if (notes.get("c-" + i).isEmpty()) {
          notes.put("c-" + i, Map.of("title", "c" + i, "n", i));
        }
      }
      System.out.println("WROTE");
      System.out.flush();
      for (int i = 0; i < 600; i++) {
        SyncResult r = c.sync();
        if (r instanceof SyncResult.Success s && s.stillPending() == 0 && s.pulled() == 0) {
          System.out.println("SETTLED");
          System.out.flush();
          return;
        }
        Thread.sleep(100);
      }
      System.out.println("NOT SETTLED");
      System.exit(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.exit(3);
    }
  }
}
