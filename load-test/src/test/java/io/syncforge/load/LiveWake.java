package io.syncforge.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.response.Response;
import io.syncforge.devinfra.LocalStack;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Live wake: {@code liveDevices} long-polls ({@code wait=30}) parked at once over {@code
 * liveTenants} tenants, then one push per tenant; the wake latency of a device is from the start of
 * its tenant's push to the arrival of the pull answer carrying the change (push, apply,
 * notification, re-read, answer). The parked pulls are asynchronous requests of the JDK client
 * (REST Assured is blocking: 1,000 parked pulls would need 1,000 threads); the pushes are REST
 * Assured. Before each round the run waits until sync-api's {@code sync_pull_waiting} gauge shows
 * every pull parked.
 */
final class LiveWake {

  private final LocalStack stack;
  private final LoadProfile profile;
  private final Ledger ledger;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .executor(java.util.concurrent.Executors.newFixedThreadPool(8, Runner.daemon("live")))
          .build();

  /** Devices that never got their change in a round (missed wakes); must be 0. */
  long missed;

  /** Pulls that answered before the push, empty (spurious) — counted, not failures. */
  long early;

  /** Empty answers of pulls whose wait was within 5 s of its end when the push started. */
  long expired;

  private static final int WAIT = 30;

  /** How many pulls were parked at once (the gauge's highest reading). */
  long parkedMax;

  LiveWake(LocalStack stack, LoadProfile profile, Ledger ledger) {
    this.stack = stack;
    this.profile = profile;
    this.ledger = ledger;
  }

  private record Dev(String tenant, String token, String[] cursor) {}

  Stats run() throws Exception {
    Progress.phase = "live wake";
    int n = profile.liveDevices();
    int tenants = profile.liveTenants();
    List<Dev> devs = new ArrayList<>();
    List<String> pushTokens = new ArrayList<>();
    for (int t = 0; t < tenants; t++) {
      pushTokens.add(stack.token("load-live-" + t, "writer"));
    }
    for (int i = 0; i < n; i++) {
      String tenant = "load-live-" + (i % tenants);
      devs.add(new Dev(tenant, stack.token(tenant, "live-" + i), new String[] {null}));
    }
    // Each device's cursor at the end of its tenant's log.
    List<CompletableFuture<Void>> init = new ArrayList<>();
    for (Dev d : devs) {
      init.add(pull(d, 0).thenAccept(r -> d.cursor()[0] = r.cursor()));
    }
    for (CompletableFuture<Void> f : init) {
      f.get(60, TimeUnit.SECONDS);
    }
    Stats stats = new Stats("live wake (" + n + " parked)", "rounds", 0);
    for (int round = 0; round < profile.liveRounds(); round++) {
      long[] pushStart = new long[tenants];
      List<CompletableFuture<Void>> parked = new ArrayList<>();
      for (Dev d : devs) {
        int t = Integer.parseInt(d.tenant().substring("load-live-".length()));
        long issued = System.nanoTime();
        parked.add(
            pull(d, WAIT)
                .thenAccept(
                    r -> {
                      long now = System.nanoTime();
                      d.cursor()[0] = r.cursor;
                      if (r.changes > 0 && pushStart[t] != 0) {
                        stats.record(pushStart[t], now, Stats.Result.ok(200, r.changes));
                      } else if (r.status != 200) {
                        stats.record(now, now, new Stats.Result(r.status, r.code, 0));
                      } else {
                        synchronized (this) {
                          if (pushStart[t] == 0) {
                            early++;
                          } else if (issued + TimeUnit.SECONDS.toNanos(WAIT - 5) < pushStart[t]) {
                            // Parked so long before the push (waiting for the others to park)
                            // that its wait was ending: not a wake the push owed it.
                            expired++;
                          } else {
                            missed++;
                          }
                        }
                      }
                    }));
      }
      awaitParked(n);
      for (int t = 0; t < tenants; t++) {
        pushStart[t] = System.nanoTime();
        push("load-live-" + t, pushTokens.get(t), round);
      }
      for (CompletableFuture<Void> f : parked) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
    stats.finish();
    return stats;
  }

  private void awaitParked(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    long seen = 0;
    while (System.nanoTime() < deadline) {
      seen = waiting();
      parkedMax = Math.max(parkedMax, seen);
      if (seen >= n) {
        return;
      }
      Thread.sleep(100);
    }
    System.out.println("[load] live wake: only " + seen + " of " + n + " pulls parked after 15 s");
  }

  private long waiting() {
    try {
      String body =
          io.restassured.RestAssured.given().get(stack.apiUrl() + "/q/metrics").asString();
      for (String line : body.split("\n")) {
        if (line.startsWith("sync_pull_waiting")) {
          return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    } catch (Exception e) {
      // not ready
    }
    return 0;
  }

  private void push(String tenant, String token, int round) {
    UUID id = UUID.randomUUID();
    String body =
        "{\"clientId\":\"live-writer\",\"mutations\":[{\"mutationId\":\""
            + id
            + "\",\"collection\":\"notes\",\"recordId\":\"wake\",\"op\":\"upsert\",\"data\":{\"round\":"
            + round
            + "}}]}";
    Response r =
        Http.as(token)
            .contentType("application/json")
            .body(body)
            .post(stack.apiUrl() + "/v1/sync/push");
    ledger.pushed(tenant, "live-writer", id, r.statusCode() == 200);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("live wake push: " + r.statusCode() + " " + r.asString());
    }
  }

  record PullAnswer(int status, String code, String cursor, int changes) {}

  private CompletableFuture<PullAnswer> pull(Dev d, int wait) {
    StringBuilder q = new StringBuilder("/v1/sync/pull?limit=500&wait=").append(wait);
    if (d.cursor()[0] != null) {
      q.append("&cursor=").append(URLEncoder.encode(d.cursor()[0], StandardCharsets.UTF_8));
    }
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(stack.apiUrl() + q))
            .header("Authorization", "Bearer " + d.token())
            .timeout(Duration.ofSeconds(wait + 30))
            .GET()
            .build();
    return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
        .handle(
            (resp, err) -> {
              if (err != null) {
                return new PullAnswer(0, err.getClass().getSimpleName(), d.cursor()[0], 0);
              }
              try {
                JsonNode n = Http.JSON.readTree(resp.body());
                if (resp.statusCode() != 200) {
                  return new PullAnswer(
                      resp.statusCode(), n.path("code").asText(), d.cursor()[0], 0);
                }
                return new PullAnswer(
                    200, null, n.path("cursor").asText(), n.path("changes").size());
              } catch (Exception e) {
                return new PullAnswer(resp.statusCode(), "unreadable", d.cursor()[0], 0);
              }
            });
  }
}
