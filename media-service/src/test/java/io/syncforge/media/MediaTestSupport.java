package io.syncforge.media;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import io.syncforge.protocol.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Shared helpers of the media tests: tokens, content, uploads, direct looks at disk and SQL. */
public final class MediaTestSupport {

  /** The store root of the test profile ({@code %test.sync.media.root}). */
  public static final Path ROOT = Path.of("target", "media");

  static {
    // A killed earlier run may have left temp files; the tests count them.
    try (Stream<Path> files =
        Files.isDirectory(ROOT.resolve("tmp")) ? Files.list(ROOT.resolve("tmp")) : Stream.empty()) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private MediaTestSupport() {}

  /** A fresh tenant id, so tests do not see each other's metadata. */
  public static String newTenant() {
    return "t-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public static String token(String tenant, String user) {
    return JwtTestResource.jwt().token(tenant, user, false);
  }

  public static String adminToken(String tenant, String user) {
    return JwtTestResource.jwt().token(tenant, user, true);
  }

  /** Random content, distinct per call. */
  public static byte[] content(int size) {
    byte[] b = new byte[size];
    new Random().nextBytes(b);
    return b;
  }

  public static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** POST /v1/media with the right hash, as {@code image/png}. */
  public static Response upload(String token, byte[] content) {
    return uploadAs(token, "image/png", sha256(content), content);
  }

  /** POST /v1/media with the right hash and a {@code X-File-Name}. */
  public static Response uploadNamed(
      String token, String contentType, String fileName, byte[] content) {
    return mediaPost(token, contentType, sha256(content))
        .header(Headers.FILE_NAME, fileName)
        .body(content)
        .post("/v1/media");
  }

  /** {@link #upload(String, byte[])} from the device {@code clientId}. */
  public static Response uploadFrom(String token, String clientId, byte[] content) {
    return mediaPost(token, "image/png", sha256(content))
        .header(Headers.CLIENT_ID, clientId)
        .body(content)
        .post("/v1/media");
  }

  /** POST /v1/media with any content type and claimed hash (for the refusals). */
  public static Response uploadAs(String token, String contentType, String sha256, byte[] body) {
    return mediaPost(token, contentType, sha256).body(body).post("/v1/media");
  }

  /** {@link #uploadAs(String, String, String, byte[])} with a streamed body. */
  public static Response uploadAs(
      String token, String contentType, String sha256, InputStream body) {
    return mediaPost(token, contentType, sha256).body(body).post("/v1/media");
  }

  private static RequestSpecification mediaPost(String token, String contentType, String sha256) {
    return withToken(token).contentType(contentType).header(Headers.CONTENT_SHA256, sha256);
  }

  /** A request authenticated with {@code token}. */
  public static RequestSpecification withToken(String token) {
    return given().auth().oauth2(token);
  }

  /** GET /v1/media/{sha256}. */
  public static Response fetch(String token, String sha256) {
    return withToken(token).get("/v1/media/" + sha256);
  }

  /** GET /v1/media/{sha256}/meta. */
  public static Response fetchMeta(String token, String sha256) {
    return withToken(token).get("/v1/media/" + sha256 + "/meta");
  }

  /** DELETE /v1/media/{sha256}. */
  public static Response delete(String token, String sha256) {
    return withToken(token).delete("/v1/media/" + sha256);
  }

  /** Asserts a refusal: {@code status} with the problem {@code code}; further checks may follow. */
  public static ValidatableResponse assertRefused(Response r, int status, String code) {
    return r.then().statusCode(status).body("code", equalTo(code));
  }

  /** Asserts that {@code token}'s user may not delete the content: {@code 403}, problem+json. */
  public static void assertMayNotDelete(String token, String sha256) {
    delete(token, sha256).then().statusCode(403).contentType("application/problem+json");
  }

  /** Uploads new content (asserting 201), then deletes it (asserting 204); its hash. */
  public static String uploadThenDelete(String token, byte[] content) {
    upload(token, content).then().statusCode(201);
    String sha = sha256(content);
    delete(token, sha).then().statusCode(204);
    return sha;
  }

  /** GET /v1/media/{sha256}: the bytes, asserting 200. */
  public static byte[] download(String token, String sha256) {
    return fetch(token, sha256).then().statusCode(200).extract().asByteArray();
  }

  public static Path blobPath(String sha256) {
    return ROOT.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256);
  }

  /** Whether a poll found what it waits for. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /**
   * Checks {@code done} every {@code pollMillis} until it holds or {@code timeout} has passed;
   * whether it held.
   */
  public static boolean await(Duration timeout, long pollMillis, Condition done) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.holds()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(pollMillis);
    }
    return true;
  }

  /** The server notices a dead or refused upload asynchronously; waits for its cleanup. */
  public static void awaitNoTempFiles() throws Exception {
    await(Duration.ofSeconds(30), 50, () -> tempFiles() == 0);
    assertEquals(0, tempFiles(), () -> "upload temp files left: " + tempListing());
  }

  /**
   * Runs the calls at the same moment (each on its own thread, released together); their results in
   * the order of the calls.
   */
  public static <T> List<T> atOnce(List<Callable<T>> calls) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(calls.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> call : calls) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return call.call();
                }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Upload temp files currently on disk. */
  /** Names in the temp directory now (for {@link #awaitNoTempFilesBut}). */
  public static java.util.Set<String> tempNames() throws IOException {
    Path tmp = ROOT.resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return java.util.Set.of();
    }
    try (Stream<Path> files = Files.list(tmp)) {
      return files
          .map(f -> f.getFileName().toString())
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  /**
   * Waits until no temp file is left besides {@code before} (those of earlier test classes, whose
   * own assertions answer for them): what one test's uploads left behind.
   */
  public static void awaitNoTempFilesBut(java.util.Set<String> before) throws Exception {
    await(Duration.ofSeconds(30), 50, () -> before.containsAll(tempNames()));
    java.util.Set<String> left = new java.util.TreeSet<>(tempNames());
    left.removeAll(before);
    assertEquals(java.util.Set.of(), left, () -> "upload temp files left: " + tempListing());
  }

  /** Name, size and age of each file in the temp directory, for a failure message. */
  static String tempListing() {
    try (Stream<Path> files = Files.list(ROOT.resolve("tmp"))) {
      Instant now = Instant.now();
      return files
          .map(
              f -> {
                try {
                  return f.getFileName()
                      + " ("
                      + Files.size(f)
                      + " B, "
                      + Duration.between(Files.getLastModifiedTime(f).toInstant(), now).toMillis()
                      + " ms old)";
                } catch (IOException e) {
                  return f.getFileName() + " (gone)";
                }
              })
          .toList()
          .toString();
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  public static long tempFiles() throws IOException {
    Path tmp = ROOT.resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(tmp)) {
      return files.count();
    }
  }

  public static Connection db() throws SQLException {
    return DriverManager.getConnection(
        PostgresTestResource.jdbcUrl(),
        PostgresTestResource.username(),
        PostgresTestResource.password());
  }

  /** A single long from SQL with string parameters (also an {@code INSERT ... RETURNING}). */
  public static long queryLong(String sql, String... params) throws SQLException {
    try (Connection c = db();
        PreparedStatement ps = prepare(c, sql, params);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Runs SQL with string parameters on a connection of its own. */
  public static void execute(String sql, String... params) throws SQLException {
    try (Connection c = db()) {
      execute(c, sql, params);
    }
  }

  /** Runs SQL with string parameters on {@code c} (e.g. inside its open transaction). */
  public static void execute(Connection c, String sql, String... params) throws SQLException {
    try (PreparedStatement ps = prepare(c, sql, params)) {
      ps.execute();
    }
  }

  private static PreparedStatement prepare(Connection c, String sql, String... params)
      throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < params.length; i++) {
      ps.setString(i + 1, params[i]);
    }
    return ps;
  }

  /** Number of metadata rows for a content across tenants. */
  public static long metadataRows(String sha256) throws SQLException {
    return queryLong("SELECT count(*) FROM media.media_object WHERE sha256 = ?", sha256);
  }

  /** Number of blob rows (0 or 1) for a content. */
  public static long blobRows(String sha256) throws SQLException {
    return queryLong("SELECT count(*) FROM media.blob WHERE sha256 = ?", sha256);
  }

  /** Number of blob rows (0 or 1) for a content that no metadata references. */
  public static long unreferencedBlobRows(String sha256) throws SQLException {
    return queryLong(
        "SELECT count(*) FROM media.blob WHERE sha256 = ? AND unreferenced_since IS NOT NULL",
        sha256);
  }

  /**
   * The head of a raw {@code POST /v1/media} of {@code image/png} claiming {@code sha256}, for
   * {@link #rawPost}; {@code moreHeaders}: the header lines after those, each ending in CRLF.
   */
  public static String rawUploadHead(String token, String sha256, String moreHeaders) {
    return "POST /v1/media HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
        + token
        + "\r\nContent-Type: image/png\r\n"
        + Headers.CONTENT_SHA256
        + ": "
        + sha256
        + "\r\n"
        + moreHeaders
        + "\r\n";
  }

  /**
   * Sends a raw HTTP/1.1 request head and {@code bodyBytes} zero bytes of body ({@code chunked}:
   * framed as chunks, the head must say {@code Transfer-Encoding: chunked}). With {@code
   * readResponse} it returns the status line, read while a second thread is still sending (the
   * server may answer before the body ends); without, it closes the socket after the bytes, like a
   * client that dies mid-upload.
   */
  public static String rawPost(String head, long bodyBytes, boolean chunked, boolean readResponse)
      throws Exception {
    try (Socket socket = new Socket("localhost", RestAssured.port)) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      Thread writer =
          new Thread(
              () -> {
                try {
                  out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                  byte[] chunk = new byte[16 * 1024];
                  long sent = 0;
                  while (sent < bodyBytes) {
                    int n = (int) Math.min(chunk.length, bodyBytes - sent);
                    if (chunked) {
                      out.write(
                          (Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write(chunk, 0, n);
                    if (chunked) {
                      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    sent += n;
                  }
                  if (chunked && readResponse) {
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                  }
                  out.flush();
                } catch (IOException e) {
                  // the server answered and closed while we were still sending
                }
              });
      writer.setDaemon(true);
      writer.start();
      if (!readResponse) {
        writer.join();
        return null;
      }
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        line.append((char) c);
      }
      return line.toString().strip();
    }
  }
}
