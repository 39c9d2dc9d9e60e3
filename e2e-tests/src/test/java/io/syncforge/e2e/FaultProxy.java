package io.syncforge.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of sync-api that injects faults on demand: the next requests to a path
 * prefix are answered with a status (without reaching the server, or after the server did the
 * work), or held until released. Everything else is forwarded byte for byte (gzip included).
 */
final class FaultProxy implements AutoCloseable {

  /** What to do with one matching request. */
  sealed interface Fault {}

  /** Answer {@code status} without forwarding; the server never sees the request. */
  record Answer(int status, String retryAfter) implements Fault {}

  /** Forward, let the server do the work, then answer {@code status}: a lost response. */
  record LoseResponse(int status) implements Fault {}

  /**
   * Answer {@code status} with problem {@code code} when the request body contains {@code needle}
   * (e.g. a deployment that refuses a collection); other requests are forwarded and the rule stays.
   */
  record RefuseBody(String needle, int status, String code) implements Fault {}

  /** Forward normally (to let the first requests of a sequence through before a fault). */
  record Pass() implements Fault {}

  /** Hold the request until {@link FaultProxy#releaseHeld()} (or close), then drop it. */
  record Hold() implements Fault {}

  /** Drop the connection without forwarding and without an answer (a broken network). */
  record Drop() implements Fault {}

  /** Wait {@code millis}, then forward normally (a slow network). */
  record Delay(long millis) implements Fault {}

  /**
   * Forward, then send the server's status and headers (with the real length) and only the first
   * half of the body before dropping the connection: a response cut after the headers.
   */
  record CutAfterHeaders() implements Fault {}

  /**
   * Forward, let the server apply the request, then drop the connection without any answer: the
   * response is lost after the server applied the request.
   */
  record LoseAfterApply() implements Fault {}

  /**
   * Random faults for a fleet: each request under {@code pathPrefix} gets one of {@code faults}
   * with probability {@code probability} (seeded), at most {@code max} times in all.
   */
  private record Chaos(
      String pathPrefix,
      List<Fault> faults,
      double probability,
      java.util.Random random,
      int max) {}

  private record Rule(String pathPrefix, Fault fault) {}

  private static final Set<String> HOP =
      Set.of(
          "connection",
          "content-length",
          "host",
          "transfer-encoding",
          "upgrade",
          "keep-alive",
          "expect",
          "http2-settings",
          "te");

  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final HttpClient http;
  private final String target;
  private final ConcurrentLinkedDeque<Rule> rules = new ConcurrentLinkedDeque<>();
  private volatile CountDownLatch held = new CountDownLatch(1);
  private final AtomicInteger faultsInjected = new AtomicInteger();
  private final AtomicInteger forwarded = new AtomicInteger();
  private final java.util.Map<String, AtomicInteger> byKind =
      new java.util.concurrent.ConcurrentSkipListMap<>();
  private volatile Chaos chaos;

  FaultProxy(String target) {
    this.target = target.endsWith("/") ? target.substring(0, target.length() - 1) : target;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(pool)
            .build();
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.setExecutor(pool);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The proxy's base URL; give it to a device as its sync-api URL. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /**
   * The next {@code times} requests whose path starts with {@code pathPrefix} get {@code fault}.
   */
  FaultProxy inject(String pathPrefix, Fault fault, int times) {
    for (int i = 0; i < times; i++) {
      rules.add(new Rule(pathPrefix, fault));
    }
    return this;
  }

  /** The next {@code times} pulls are answered 503 (the server never sees them). */
  FaultProxy failPulls(int times) {
    return inject("/v1/sync/pull", new Answer(503, null), times);
  }

  /** Lets every held request go (each is then dropped without an answer). */
  void releaseHeld() {
    CountDownLatch l = held;
    held = new CountDownLatch(1);
    l.countDown();
  }

  /**
   * From now on, each request under {@code pathPrefix} gets one of {@code faults} (chosen at
   * random, seeded) with probability {@code probability}, at most {@code max} faults in all.
   * Replaces an earlier chaos setting; {@link #clear()} ends it.
   */
  FaultProxy chaos(String pathPrefix, List<Fault> faults, double probability, long seed, int max) {
    chaos =
        new Chaos(pathPrefix, List.copyOf(faults), probability, new java.util.Random(seed), max);
    return this;
  }

  /** Removes rules not used yet and ends chaos. */
  void clear() {
    rules.clear();
    chaos = null;
  }

  /** Faults injected so far, per kind ({@code Drop}, {@code Delay}, ...). */
  java.util.Map<String, Integer> faultsByKind() {
    java.util.Map<String, Integer> m = new java.util.TreeMap<>();
    byKind.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  int faultsInjected() {
    return faultsInjected.get();
  }

  int forwarded() {
    return forwarded.get();
  }

  private Fault take(String path, byte[] body) {
    Fault f = takeRule(path, body);
    if (f == null) {
      f = takeChaos(path);
    }
    if (f != null && !(f instanceof Pass)) {
      byKind
          .computeIfAbsent(f.getClass().getSimpleName(), k -> new AtomicInteger())
          .incrementAndGet();
    }
    return f;
  }

  private Fault takeChaos(String path) {
    Chaos c = chaos;
    if (c == null || !path.startsWith(c.pathPrefix())) {
      return null;
    }
    synchronized (c) {
      if (c.max() <= 0 || chaosUsed >= c.max() || c.random().nextDouble() >= c.probability()) {
        return null;
      }
      chaosUsed++;
      return c.faults().get(c.random().nextInt(c.faults().size()));
    }
  }

  private int chaosUsed;

  private Fault takeRule(String path, byte[] body) {
    for (Rule r : rules) {
      if (!path.startsWith(r.pathPrefix())) {
        continue;
      }
      if (r.fault() instanceof RefuseBody rb) {
        if (new String(body, StandardCharsets.UTF_8).contains(rb.needle())) {
          return rb;
        }
        continue;
      }
      if (rules.removeFirstOccurrence(r)) {
        return r.fault();
      }
    }
    return null;
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      byte[] body = ex.getRequestBody().readAllBytes();
      Fault fault = take(ex.getRequestURI().getPath(), body);
      if (fault instanceof RefuseBody rb) {
        faultsInjected.incrementAndGet();
        problem(ex, rb.status(), rb.code());
        return;
      }
      if (fault instanceof Answer a) {
        faultsInjected.incrementAndGet();
        if (a.retryAfter() != null) {
          ex.getResponseHeaders().set("Retry-After", a.retryAfter());
        }
        problem(ex, a.status());
        return;
      }
      if (fault instanceof Drop) {
        faultsInjected.incrementAndGet();
        return; // no response: the connection is dropped
      }
      if (fault instanceof Delay d) {
        faultsInjected.incrementAndGet();
        try {
          Thread.sleep(d.millis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      if (fault instanceof Hold) {
        faultsInjected.incrementAndGet();
        try {
          held.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return; // closing the exchange without a response drops the connection
      }
      HttpResponse<byte[]> resp = forward(ex, body);
      forwarded.incrementAndGet();
      if (fault instanceof LoseResponse l) {
        faultsInjected.incrementAndGet();
        problem(ex, l.status());
        return;
      }
      if (fault instanceof LoseAfterApply) {
        faultsInjected.incrementAndGet();
        return; // the server applied it; the client never hears
      }
      resp.headers()
          .map()
          .forEach(
              (k, v) -> {
                if (!HOP.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                  ex.getResponseHeaders().put(k, v);
                }
              });
      byte[] out = resp.body();
      if (fault instanceof CutAfterHeaders && out.length > 1) {
        faultsInjected.incrementAndGet();
        ex.sendResponseHeaders(resp.statusCode(), out.length);
        OutputStream os = ex.getResponseBody();
        os.write(out, 0, out.length / 2);
        os.flush();
        // Closing the exchange with bytes owed makes the server drop the connection.
        return;
      }
      ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    } catch (IOException | RuntimeException e) {
      // The server or the client went away: drop this exchange like a broken network would.
    } finally {
      ex.close();
    }
  }

  private HttpResponse<byte[]> forward(HttpExchange ex, byte[] body) throws IOException {
    String query = ex.getRequestURI().getRawQuery();
    URI uri =
        URI.create(target + ex.getRequestURI().getRawPath() + (query == null ? "" : "?" + query));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(90))
            .method(
                ex.getRequestMethod(),
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    ex.getRequestHeaders()
        .forEach(
            (k, v) -> {
              if (!HOP.contains(k.toLowerCase(Locale.ROOT))) {
                for (String value : v) {
                  b.header(k, value);
                }
              }
            });
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static void problem(HttpExchange ex, int status) throws IOException {
    problem(ex, status, status == 503 ? "unavailable" : "injected");
  }

  private static void problem(HttpExchange ex, int status, String code) throws IOException {
    byte[] p =
        ("{\"type\":\"about:blank\",\"title\":\"injected\",\"status\":"
                + status
                + ",\"detail\":\"injected by the e2e fault proxy\",\"code\":\""
                + code
                + "\",\"traceId\":\"fault-proxy\"}")
            .getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/problem+json");
    ex.sendResponseHeaders(status, p.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(p);
    }
  }

  @Override
  public void close() {
    releaseHeld();
    rules.clear();
    server.stop(0);
    pool.shutdownNow();
  }

  /** For callers that want to assert on the rules left. */
  List<String> pendingRules() {
    return rules.stream().map(r -> r.pathPrefix() + " " + r.fault()).toList();
  }
}
