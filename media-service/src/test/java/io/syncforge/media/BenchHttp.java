package io.syncforge.media;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's minimal HTTP/1.1 client: one connection per exchange, the request body sent from
 * its file with {@code sendfile} ({@link FileChannel#transferTo}), the response body read into one
 * reused direct buffer and dropped. It costs the client next to nothing, so the numbers show the
 * server; the JDK {@code HttpClient} downloads at a few hundred MiB/s on this machine even from a
 * plain Vert.x {@code sendFile} (measured: {@code -Dbench.client=jdk}).
 */
final class BenchHttp {

  /** Status and body length of an answer; the body text when it is small (errors, JSON). */
  record Answer(int status, long bodyBytes, String smallBody) {}

  private static final ThreadLocal<ByteBuffer> BUFFER =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 20));

  private BenchHttp() {}

  static Answer exchange(URI uri, String method, Map<String, String> headers, Path body)
      throws IOException {
    try (SocketChannel channel =
        SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()))) {
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(uri.getRawPath()).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
      head.append("Connection: close\r\n");
      for (Map.Entry<String, String> h : headers.entrySet()) {
        head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      FileChannel file = body == null ? null : FileChannel.open(body, StandardOpenOption.READ);
      try {
        if (file != null) {
          head.append("Content-Length: ").append(file.size()).append("\r\n");
        }
        head.append("\r\n");
        ByteBuffer out = ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        while (out.hasRemaining()) {
          channel.write(out);
        }
        if (file != null) {
          long size = file.size();
          for (long pos = 0; pos < size; ) {
            pos += file.transferTo(pos, size - pos, channel);
          }
        }
      } finally {
        if (file != null) {
          file.close();
        }
      }
      return read(channel);
    }
  }

  private static Answer read(SocketChannel channel) throws IOException {
    ByteBuffer in = BUFFER.get();
    in.clear();
    int headerEnd = -1;
    while (headerEnd < 0) {
      if (channel.read(in) < 0) {
        throw new IOException("connection closed before the response head");
      }
      headerEnd = indexOfHeadEnd(in);
    }
    byte[] headBytes = new byte[headerEnd];
    in.flip();
    in.get(headBytes);
    in.position(headerEnd + 4);
    String head = new String(headBytes, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    long length = -1;
    for (String line : lines) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(line.substring("content-length:".length()).strip());
      }
    }
    StringBuilder small = new StringBuilder();
    long received = 0;
    while (true) {
      int n = in.remaining();
      if (n > 0 && small.length() < 4096) {
        byte[] b = new byte[Math.min(n, 4096)];
        in.duplicate().get(b);
        small.append(new String(b, StandardCharsets.UTF_8));
      }
      received += n;
      if (length >= 0 && received >= length) {
        break;
      }
      in.clear();
      if (channel.read(in) < 0) {
        break;
      }
      in.flip();
    }
    return new Answer(status, received, small.toString());
  }

  private static int indexOfHeadEnd(ByteBuffer in) {
    for (int i = 3; i < in.position(); i++) {
      if (in.get(i - 3) == '\r'
          && in.get(i - 2) == '\n'
          && in.get(i - 1) == '\r'
          && in.get(i) == '\n') {
        return i - 3;
      }
    }
    return -1;
  }
}
