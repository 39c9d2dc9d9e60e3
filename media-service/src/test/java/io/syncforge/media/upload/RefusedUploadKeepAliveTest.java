package io.syncforge.media.upload;

import static io.syncforge.media.MediaTestSupport.newTenant;
import static io.syncforge.media.MediaTestSupport.token;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * An upload refused before its body is read (missing hash header) must not leave the connection
 * stuck: the next request on the same keep-alive connection is answered, or the server closes the
 * connection so that the client opens a new one. A paused, undrained request would make that next
 * request wait for the idle timeout.
 */
@QuarkusTest
@WithDevInfra
class RefusedUploadKeepAliveTest {

  @Test
  void theNextRequestOnTheConnectionIsAnsweredOrTheConnectionCloses() throws Exception {
    String token = token(newTenant(), "alice");
    byte[] body = new byte[256 * 1024];
    try (Socket socket = new Socket("localhost", RestAssured.port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(
          ("POST /v1/media HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + token
                  + "\r\nContent-Type: image/png\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String first = readResponse(in);
      assertTrue(first.startsWith("HTTP/1.1 400"), first);
      try {
        out.write(body);
        out.write(
            "GET /q/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException closed) {
        return; // the server closed the connection: the client reconnects
      }
      try {
        String second = readResponse(in);
        assertTrue(second.isEmpty() || second.startsWith("HTTP/1.1 200"), second);
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the next request on the connection was never answered", e);
      } catch (IOException closed) {
        // reset by the server: the client reconnects
      }
    }
  }

  /** Reads one response (status line, headers, a Content-Length body); "" at end of stream. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      head.write(b);
      byte[] h = head.toByteArray();
      int n = h.length;
      if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
        break;
      }
    }
    String headers = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return headers;
  }
}
