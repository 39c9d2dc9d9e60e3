package io.syncforge.e2e;

import io.syncforge.client.SyncClient;
import io.syncforge.client.SyncResult;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;

/**
 * The first sync alone in a JVM of its own, so its heap is the client's (WholePathBenchmark starts
 * it with {@code -Xmx128m}: finishing at all shows the bound). Prints one line: {@code PROBE
 * <records> <millis> <peak heap MiB>}, the peak being the sum of the heap pools' peak usage (an
 * upper bound: it includes garbage not yet collected). Arguments: api url, token, database file.
 */
public final class FirstSyncProbe {
  private FirstSyncProbe() {}

  public static void main(String[] args) {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
      }
    }
    long t0 = System.nanoTime();
    int records;
    try (SyncClient client =
        SyncClient.builder().baseUrl(args[0]).database(Path.of(args[2])).token(args[1]).build()) {
      SyncResult r = client.sync();
      if (!(r instanceof SyncResult.Success s)) {
        System.out.println("PROBE failed " + r);
        System.exit(1);
        return;
      }
      records = s.pulled();
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    long peak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        peak += p.getPeakUsage().getUsed();
      }
    }
    System.out.println("PROBE " + records + " " + ms + " " + (peak >> 20));
  }
}
