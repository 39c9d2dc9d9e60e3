package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.syncforge.client.ConflictListener;
import io.syncforge.client.SyncClient;
import io.syncforge.client.SyncResult;
import io.syncforge.devinfra.LocalStack;
import io.syncforge.protocol.MutationOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** One device: a sync-client with its own SQLite file, talking to the real stack. */
final class Device implements AutoCloseable {

  final String name;
  final SyncClient client;
  final List<MutationOutcome> merged = new CopyOnWriteArrayList<>();
  final List<MutationOutcome> rejected = new CopyOnWriteArrayList<>();
  final Path dir;

  Device(LocalStack stack, String tenant, String name) {
    this(stack, tenant, name, stack.apiUrl());
  }

  /** A device that reaches sync-api through {@code apiUrl} (e.g. a {@link FaultProxy}). */
  Device(LocalStack stack, String tenant, String name, String apiUrl) {
    this(stack, tenant, name, apiUrl, UnaryOperator.identity());
  }

  /** A device whose client builder {@code settings} adjusts last (e.g. no media during sync). */
  Device(
      LocalStack stack,
      String tenant,
      String name,
      String apiUrl,
      UnaryOperator<SyncClient.Builder> settings) {
    this.name = name;
    try {
      dir = Files.createTempDirectory(Path.of("target"), "device-" + name + "-").toAbsolutePath();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    SyncClient.Builder builder =
        SyncClient.builder()
            .baseUrl(apiUrl)
            .mediaUrl(stack.mediaUrl())
            .database(dir.resolve("local.db"))
            .mediaDir(dir.resolve("media"))
            .token(stack.token(tenant, name))
            .pullLimit(Integer.getInteger("device.pullLimit", 500))
            .conflictListener(ConflictListener.of(merged::add, rejected::add));
    client = settings.apply(builder).build();
  }

  /** Syncs and expects success. */
  SyncResult.Success sync() {
    SyncResult r = client.sync();
    return assertInstanceOf(SyncResult.Success.class, r, name + ": " + r);
  }

  /** Syncs until nothing is pending (outcomes that were pending arrive with later pulls). */
  SyncResult.Success syncUntilSettled() {
    SyncResult.Success s = sync();
    for (int i = 0; i < 20 && s.stillPending() > 0; i++) {
      sleep(250);
      s = sync();
    }
    return s;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
