package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.client.Transport;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Headers;
import io.syncforge.protocol.MediaMetadata;
import io.syncforge.protocol.Problem;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The sync-api and media-service endpoints over a {@link Transport}, with error classification. */
public final class ApiClient {
  private final Transport transport;
  private final String baseUrl;
  private final String mediaUrl;
  private final Supplier<String> token;
  private final ObjectMapper mapper;

  public ApiClient(
      Transport transport,
      String baseUrl,
      String mediaUrl,
      Supplier<String> token,
      ObjectMapper mapper) {
    this.transport = transport;
    this.baseUrl = stripSlash(baseUrl);
    this.mediaUrl = stripSlash(mediaUrl);
    this.token = token;
    this.mapper = mapper;
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** {@code POST /v1/sync/push}. */
  public PushResponse push(PushRequest request) throws ApiException {
    byte[] body;
    try {
      body = mapper.writeValueAsBytes(request);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize a push request", e);
    }
    Map<String, String> headers = headers();
    headers.put("Content-Type", "application/json");
    headers.put("Accept", "application/json");
    Transport.Request req =
        new Transport.Request("POST", URI.create(baseUrl + "/v1/sync/push"), headers, bytes(body));
    return exchangeJson(req, PushResponse.class);
  }

  /** {@code GET /v1/sync/pull}. */
  public PullResponse pull(String cursor, int limit, List<String> collections, String clientId)
      throws ApiException {
    return pull(cursor, limit, collections, clientId, 0);
  }

  /** {@code GET /v1/sync/pull} with live wait: the server holds it up to {@code waitSeconds}. */
  public PullResponse pull(
      String cursor, int limit, List<String> collections, String clientId, int waitSeconds)
      throws ApiException {
    StringBuilder q = new StringBuilder("/v1/sync/pull?limit=").append(limit);
    if (waitSeconds > 0) {
      q.append("&wait=").append(waitSeconds);
    }
    if (cursor != null) {
      q.append("&cursor=").append(enc(cursor));
    }
    if (!collections.isEmpty()) {
      q.append("&collections=").append(enc(String.join(",", collections)));
    }
    Map<String, String> headers = headers();
    headers.put(Headers.CLIENT_ID, clientId);
    headers.put("Accept", "application/json");
    return exchangeJson(
        new Transport.Request("GET", URI.create(baseUrl + q), headers, null), PullResponse.class);
  }

  /**
   * {@code GET /v1/sync/snapshot}, stream-parsed: records keep their {@code data} as the JSON text
   * the server sent (see {@link SnapshotPageReader}).
   */
  public SnapshotPageReader.RawPage snapshot(String pageToken, int limit, List<String> collections)
      throws ApiException {
    StringBuilder q = new StringBuilder("/v1/sync/snapshot?limit=").append(limit);
    if (pageToken != null) {
      q.append("&pageToken=").append(enc(pageToken));
    }
    if (!collections.isEmpty()) {
      q.append("&collections=").append(enc(String.join(",", collections)));
    }
    Map<String, String> headers = headers();
    headers.put("Accept", "application/json");
    Transport.Request request =
        new Transport.Request("GET", URI.create(baseUrl + q), headers, null);
    byte[] body = exchangeBytes(request);
    try {
      return SnapshotPageReader.read(body);
    } catch (IOException | RuntimeException e) {
      throw ApiException.network(
          "unreadable response from " + request.uri().getPath() + ": " + describe(e), e);
    }
  }

  /**
   * {@code POST /v1/media}: uploads a file whose hash is already known.
   *
   * @return the server's metadata, or null if the 2xx answer carried none
   */
  public MediaMetadata uploadMedia(Path file, String sha256, String contentType, String fileName)
      throws ApiException {
    return uploadMedia(file, sha256, contentType, fileName, null);
  }

  /** As above; {@code sent} (may be null) is told each run of bytes read for sending. */
  public MediaMetadata uploadMedia(
      Path file,
      String sha256,
      String contentType,
      String fileName,
      java.util.function.LongConsumer sent)
      throws ApiException {
    Map<String, String> headers = headers();
    headers.put("Content-Type", contentType == null ? "application/octet-stream" : contentType);
    headers.put(Headers.CONTENT_SHA256, sha256);
    if (fileName != null && isHeaderSafe(fileName)) {
      headers.put(Headers.FILE_NAME, fileName);
    }
    Transport.Request req =
        new Transport.Request(
            "POST", URI.create(mediaUrl + "/v1/media"), headers, fileBody(file, 0, sent));
    // Any 2xx means stored (201 new, 200 already there); the metadata body is informational, so
    // an empty or unexpected body does not turn a stored upload into a retry.
    try (Transport.Response response = send(req)) {
      if (response.status() / 100 != 2) {
        throw failure(response);
      }
      try (InputStream in = response.body()) {
        byte[] bytes = in.readAllBytes();
        return bytes.length == 0 ? null : mapper.readValue(bytes, MediaMetadata.class);
      } catch (IOException | RuntimeException e) {
        return null;
      }
    } catch (IOException e) {
      throw ApiException.network("POST /v1/media failed: " + describe(e), e);
    }
  }

  /**
   * tus creation ({@code POST /v1/media/uploads}) for a file whose hash is known.
   *
   * @return the upload's absolute URL, or empty when the server offers no resumable uploads
   *     (404/405: an older media-service), so the caller falls back to {@link #uploadMedia}
   */
  public Optional<URI> createResumableUpload(
      String sha256, long length, String contentType, String fileName) throws ApiException {
    Map<String, String> headers = headers();
    headers.put("Tus-Resumable", "1.0.0");
    headers.put("Upload-Length", Long.toString(length));
    headers.put(Headers.CONTENT_SHA256, sha256);
    StringBuilder metadata =
        new StringBuilder("filetype ")
            .append(b64(contentType == null ? "application/octet-stream" : contentType));
    if (fileName != null) {
      metadata.append(",filename ").append(b64(fileName));
    }
    headers.put("Upload-Metadata", metadata.toString());
    URI uri = URI.create(mediaUrl + "/v1/media/uploads");
    try (Transport.Response response = send(new Transport.Request("POST", uri, headers, null))) {
      if (response.status() == 404 || response.status() == 405) {
        return Optional.empty();
      }
      if (response.status() != 201) {
        throw failure(response);
      }
      String location =
          response
              .header("Location")
              .orElseThrow(() -> ApiException.network("tus creation answered no Location", null));
      return Optional.of(uri.resolve(location));
    } catch (IOException e) {
      throw ApiException.network("POST /v1/media/uploads failed: " + describe(e), e);
    }
  }

  /**
   * tus {@code HEAD}: how many bytes of the upload the server has.
   *
   * @return the offset, or -1 when the upload is gone (completed, expired, terminated)
   */
  public long resumableOffset(URI upload) throws ApiException {
    Map<String, String> headers = headers();
    headers.put("Tus-Resumable", "1.0.0");
    try (Transport.Response response = send(new Transport.Request("HEAD", upload, headers, null))) {
      if (response.status() == 404 || response.status() == 410) {
        return -1;
      }
      if (response.status() / 100 != 2) {
        throw failure(response);
      }
      return parseOffset(response);
    } catch (IOException e) {
      throw ApiException.network("HEAD " + upload.getPath() + " failed: " + describe(e), e);
    }
  }

  /**
   * tus {@code PATCH}: sends the file from {@code offset} to its end.
   *
   * @return the server's offset afterwards (the file's length once the upload is complete)
   */
  public long appendResumable(URI upload, Path file, long offset) throws ApiException {
    return appendResumable(upload, file, offset, null);
  }

  /** As above; {@code sent} (may be null) is told each run of bytes read for sending. */
  public long appendResumable(
      URI upload, Path file, long offset, java.util.function.LongConsumer sent)
      throws ApiException {
    Map<String, String> headers = headers();
    headers.put("Tus-Resumable", "1.0.0");
    headers.put("Upload-Offset", Long.toString(offset));
    headers.put("Content-Type", "application/offset+octet-stream");
    try (Transport.Response response =
        send(new Transport.Request("PATCH", upload, headers, fileBody(file, offset, sent)))) {
      if (response.status() != 204 && response.status() != 200) {
        throw failure(response);
      }
      return parseOffset(response);
    } catch (IOException e) {
      throw ApiException.network("PATCH " + upload.getPath() + " failed: " + describe(e), e);
    }
  }

  /**
   * A request body of {@code file} from {@code offset} to its end (re-openable for a retry); {@code
   * sent} (may be null) is told each run of bytes read.
   */
  private static Transport.BodySource fileBody(
      Path file, long offset, java.util.function.LongConsumer sent) throws ApiException {
    long length;
    try {
      length = Files.size(file) - offset;
    } catch (IOException e) {
      throw ApiException.network("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new Transport.BodySource() {
      @Override
      public InputStream open() throws IOException {
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file);
        ch.position(offset);
        return counting(java.nio.channels.Channels.newInputStream(ch), sent);
      }

      @Override
      public long length() {
        return length;
      }
    };
  }

  /** {@code in}, telling {@code sink} (when not null) how many bytes each read returned. */
  static InputStream counting(InputStream in, java.util.function.LongConsumer sink) {
    if (sink == null) {
      return in;
    }
    return new java.io.FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          sink.accept(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
          sink.accept(n);
        }
        return n;
      }
    };
  }

  private static long parseOffset(Transport.Response response) throws ApiException {
    String value =
        response
            .header("Upload-Offset")
            .orElseThrow(() -> ApiException.network("tus answer without Upload-Offset", null));
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw ApiException.network("tus answer with a bad Upload-Offset: " + value, e);
    }
  }

  private static String b64(String s) {
    return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * {@code GET /v1/media/{sha256}}, from byte {@code offset} when positive. Returns the open
   * response (status 200 or 206); the caller closes it.
   */
  public Transport.Response downloadMedia(String sha256, long offset) throws ApiException {
    Map<String, String> headers = headers();
    if (offset > 0) {
      headers.put("Range", "bytes=" + offset + "-");
    }
    Transport.Response response =
        send(
            new Transport.Request(
                "GET", URI.create(mediaUrl + "/v1/media/" + sha256), headers, null));
    if (response.status() == 200 || response.status() == 206) {
      return response;
    }
    throw failure(response);
  }

  private static boolean isHeaderSafe(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private Map<String, String> headers() {
    Map<String, String> h = new HashMap<>();
    String t = token.get();
    if (t != null && !t.isEmpty()) {
      h.put("Authorization", "Bearer " + t);
    }
    return h;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static Transport.BodySource bytes(byte[] body) {
    return new Transport.BodySource() {
      @Override
      public InputStream open() {
        return new ByteArrayInputStream(body);
      }

      @Override
      public long length() {
        return body.length;
      }
    };
  }

  private Transport.Response send(Transport.Request request) throws ApiException {
    try {
      return transport.execute(request);
    } catch (IOException | RuntimeException e) {
      throw ApiException.network(
          request.method() + " " + request.uri().getPath() + " failed: " + describe(e), e);
    }
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /**
   * Sends, then reads the whole body and parses it before returning, so a truncated body is a
   * network error and nothing of it reaches the store.
   */
  private <T> T exchangeJson(Transport.Request request, Class<T> type) throws ApiException {
    byte[] body = exchangeBytes(request);
    try {
      T value = mapper.readValue(body, type);
      if (value == null) {
        throw ApiException.network("empty response body from " + request.uri().getPath(), null);
      }
      return value;
    } catch (IOException e) {
      throw ApiException.network(
          "unreadable response from " + request.uri().getPath() + ": " + describe(e), e);
    }
  }

  /** Sends and reads the whole 2xx body (a truncated body is a network error). */
  private byte[] exchangeBytes(Transport.Request request) throws ApiException {
    try (Transport.Response response = send(request)) {
      if (response.status() / 100 != 2) {
        throw failure(response);
      }
      try (InputStream in = response.body()) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw ApiException.network(
          request.method() + " " + request.uri().getPath() + " failed: " + describe(e), e);
    }
  }

  private ApiException failure(Transport.Response response) {
    int status = response.status();
    Problem problem = null;
    try (InputStream in = response.body()) {
      byte[] body = in.readNBytes(64 * 1024);
      if (body.length > 0) {
        problem = mapper.readValue(body, Problem.class);
      }
    } catch (IOException | RuntimeException ignored) {
      // Not a problem body (a proxy's HTML page, a cut connection): classify by status alone.
    } finally {
      try {
        response.close();
      } catch (IOException ignored) {
        // Nothing more to read.
      }
    }
    String code = problem == null ? null : problem.code();
    String detail =
        problem != null && problem.detail() != null
            ? problem.detail()
            : "HTTP " + status + (code == null ? "" : " " + code);
    Duration retryAfter =
        response.header("Retry-After").map(ApiClient::parseRetryAfter).orElse(null);
    ApiException.Kind kind;
    if (status == 401) {
      kind = ApiException.Kind.AUTH;
    } else if (status == 410 || ErrorCode.CURSOR_INVALID.code().equals(code)) {
      kind = ApiException.Kind.RESET;
    } else {
      kind = ApiException.Kind.HTTP;
    }
    return new ApiException(kind, status, code, detail, retryAfter);
  }

  static Duration parseRetryAfter(String value) {
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException e) {
      // The HTTP-date form (RFC 9110): the time left until then, never negative.
      try {
        java.time.Instant at =
            java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                .toInstant();
        Duration d = Duration.between(java.time.Instant.now(), at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (java.time.format.DateTimeParseException unreadable) {
        return null; // unreadable: the client's own backoff applies
      }
    }
  }
}
