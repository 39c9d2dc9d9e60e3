package io.syncforge.devinfra.quarkus;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.syncforge.devinfra.DevJwt;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test signing keys for services that verify device JWTs, served the way an identity provider
 * serves them: generates (once) an RS256 key pair under {@code target/dev-infra/jwt} and publishes
 * its public key as a JWKS on a tiny HTTP server of the test JVM. The service gets {@code
 * mp.jwt.verify.publickey.location} (that JWKS URL), issuer and audience. Tests mint tokens with
 * {@link #jwt()} and rotate keys with {@link #publish} / {@link #retire}.
 *
 * <p>The services' shared {@code %test} configuration names a placeholder key location at build
 * time, so Quarkus does not generate its own dev/test key pair (which would win over this one).
 */
public class JwtTestResource implements QuarkusTestResourceLifecycleManager {

  private static final Path DIR = Path.of("target", "dev-infra", "jwt");
  private static final List<DevJwt> PUBLISHED = new CopyOnWriteArrayList<>();
  private static final AtomicInteger FETCHES = new AtomicInteger();
  private static HttpServer server;

  /** The key pair the running service trusts. */
  public static DevJwt jwt() {
    return DevJwt.inDirectory(DIR);
  }

  /** Adds {@code key} to the served JWKS (a key rotation at the identity provider). */
  public static void publish(DevJwt key) {
    PUBLISHED.add(key);
  }

  /** Removes {@code key} from the served JWKS. */
  public static void retire(DevJwt key) {
    PUBLISHED.removeIf(k -> k.kid().equals(key.kid()));
  }

  /** How often the JWKS was fetched so far. */
  public static int fetches() {
    return FETCHES.get();
  }

  /** The URL of the served JWKS. */
  public static synchronized String jwksUrl() {
    if (server == null) {
      try {
        HttpServer s =
            HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext(
            "/jwks",
            exchange -> {
              FETCHES.incrementAndGet();
              byte[] body = DevJwt.jwks(List.copyOf(PUBLISHED)).getBytes(StandardCharsets.UTF_8);
              exchange.getResponseHeaders().set("Content-Type", "application/json");
              exchange.getResponseHeaders().set("Cache-Control", "no-store");
              exchange.sendResponseHeaders(200, body.length);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
              }
            });
        s.start();
        PUBLISHED.add(jwt());
        server = s;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot serve the test JWKS", e);
      }
    }
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
  }

  @Override
  public Map<String, String> start() {
    return Map.of(
        "mp.jwt.verify.publickey.location",
        jwksUrl(),
        "mp.jwt.verify.issuer",
        DevJwt.ISSUER,
        "mp.jwt.verify.audiences",
        DevJwt.AUDIENCE);
  }

  @Override
  public void stop() {
    synchronized (JwtTestResource.class) {
      if (server != null) {
        server.stop(0);
        server = null;
        PUBLISHED.clear();
      }
    }
  }
}
