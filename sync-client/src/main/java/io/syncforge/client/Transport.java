package io.syncforge.client;

import io.syncforge.client.internal.JdkTransport;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP seam of the client: one blocking call per request. The default is {@link #jdk(Duration,
 * Duration)} (the JDK's {@code HttpClient}); an Android app can plug in OkHttp. Implementations
 * must be thread-safe; the client calls them from its sync thread and from media download threads.
 * Any {@link IOException} (including timeouts) is treated as a retryable network error.
 */
public interface Transport {

  /**
   * Sends {@code request} and returns the response once its headers have arrived. The caller reads
   * and closes the body.
   */
  Response execute(Request request) throws IOException;

  /**
   * A transport over the JDK {@code HttpClient}: HTTP/1.1 or 2, {@code Accept-Encoding: gzip} with
   * transparent decoding.
   *
   * @param connectTimeout time to establish a connection
   * @param requestTimeout time until the response headers arrive
   */
  static Transport jdk(Duration connectTimeout, Duration requestTimeout) {
    return new JdkTransport(connectTimeout, requestTimeout);
  }

  /** Supplies a request body; may be opened more than once (e.g. after a redirect). */
  interface BodySource {
    /** A fresh stream over the body. */
    InputStream open() throws IOException;

    /** The exact length in bytes. */
    long length();
  }

  /**
   * One HTTP request.
   *
   * @param method GET, POST, HEAD...
   * @param uri the absolute URI
   * @param headers header name to value
   * @param body the body, or null
   */
  record Request(String method, URI uri, Map<String, String> headers, BodySource body) {
    /** Copies {@code headers}. */
    public Request {
      if (method == null) {
        throw new NullPointerException("method == null");
      }
      if (uri == null) {
        throw new NullPointerException("uri == null");
      }
      headers = headers == null ? Map.of() : Map.copyOf(headers);
    }
  }

  /** One HTTP response; closing it releases the connection. */
  interface Response extends Closeable {
    /** The HTTP status code. */
    int status();

    /** All values of header {@code name} (case-insensitive). */
    List<String> headers(String name);

    /** The first value of header {@code name}, if present. */
    default Optional<String> header(String name) {
      List<String> values = headers(name);
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The (already decompressed) body. */
    InputStream body() throws IOException;
  }
}
