package io.syncforge.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncforge.client.ConflictListener;
import io.syncforge.client.SyncClient;
import io.syncforge.client.SyncResult;
import io.syncforge.client.Transport;
import io.syncforge.devinfra.LocalStack;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One simulated device: a real {@link SyncClient} with its own SQLite file, whose transport can be
 * switched off (offline: every request fails like a dead network) and writes every mutation id it
 * uploads into the {@link Ledger}, so the oracle can ask the server for each one.
 */
final class FleetDevice implements AutoCloseable {

  enum Mode {
    MANUAL,
    LIVE,
    PERIODIC
  }

  final String name;
  final Mode mode;
  final SyncClient client;
  final Path dir;
  final AtomicInteger merged = new AtomicInteger();
  final AtomicInteger rejected = new AtomicInteger();
  final AtomicInteger failedSyncs = new AtomicInteger();
  private final RecordingTransport transport;

  FleetDevice(LocalStack stack, String tenant, String name, Mode mode, Ledger ledger, Path root)
      throws IOException {
    this.name = name;
    this.mode = mode;
    this.dir = Files.createTempDirectory(root, name + "-");
    this.transport =
        new RecordingTransport(
            Transport.jdk(Duration.ofSeconds(5), Duration.ofSeconds(60)), ledger, tenant);
    client =
        SyncClient.builder()
            .baseUrl(stack.apiUrl())
            .mediaUrl(stack.mediaUrl())
            .database(dir.resolve("local.db"))
            .mediaDir(dir.resolve("media"))
            .token(stack.token(tenant, name))
            .transport(transport)
            .syncInterval(Duration.ofSeconds(1))
            .backoff(Duration.ofMillis(200), Duration.ofSeconds(2))
            .conflictListener(
                ConflictListener.of(o -> merged.incrementAndGet(), o -> rejected.incrementAndGet()))
            .build();
  }

  void offline(boolean offline) {
    transport.offline = offline;
  }

  SyncResult sync() {
    SyncResult r = client.sync();
    if (!r.isSuccess()) {
      failedSyncs.incrementAndGet();
    }
    return r;
  }

  @Override
  public void close() {
    client.close();
  }

  /** The JDK transport, plus an off switch and a record of every pushed mutation id. */
  static final class RecordingTransport implements Transport {
    private final Transport delegate;
    private final Ledger ledger;
    private final String tenant;
    volatile boolean offline;

    RecordingTransport(Transport delegate, Ledger ledger, String tenant) {
      this.delegate = delegate;
      this.ledger = ledger;
      this.tenant = tenant;
    }

    @Override
    public Response execute(Request request) throws IOException {
      if (offline) {
        throw new IOException("offline (simulated by the load test)");
      }
      boolean push =
          "POST".equals(request.method()) && request.uri().getPath().endsWith("/v1/sync/push");
      if (!push) {
        return delegate.execute(request);
      }
      JsonNode body;
      try (InputStream in = request.body().open()) {
        body = Http.JSON.readTree(in);
      }
      String clientId = body.path("clientId").asText();
      for (JsonNode m : body.path("mutations")) {
        ledger.pushed(tenant, clientId, UUID.fromString(m.path("mutationId").asText()), false);
      }
      Response r = delegate.execute(request);
      if (r.status() == 200) {
        for (JsonNode m : body.path("mutations")) {
          ledger.acknowledged(tenant, clientId, UUID.fromString(m.path("mutationId").asText()));
        }
      }
      return r;
    }
  }
}
