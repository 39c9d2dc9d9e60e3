package io.syncforge.media.upload;

import io.netty.buffer.ByteBuf;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Feeds a request body to an {@link UploadService.Receiving} on the connection's event loop, chunk
 * by chunk as Vert.x delivers them, and completes when the body has ended. A chunk that fails (size
 * limit, disk error) or a broken connection (also one closed before the handlers were attached)
 * fails the result; later chunks are ignored. Must be subscribed on the request's event loop with
 * the request paused; the caller closes the receiving on every path.
 */
final class BodyReader {

  private BodyReader() {}

  static Uni<UploadService.Receiving> read(
      HttpServerRequest request, UploadService.Receiving receiving) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              boolean[] done = {false};
              request.handler(
                  chunk -> {
                    if (done[0]) {
                      return;
                    }
                    try {
                      append(receiving, chunk);
                    } catch (RuntimeException e) {
                      done[0] = true;
                      emitter.fail(e);
                    }
                  });
              request.exceptionHandler(
                  e -> {
                    if (!done[0]) {
                      done[0] = true;
                      emitter.fail(receiving.interrupted());
                    }
                  });
              request.endHandler(
                  v -> {
                    if (!done[0]) {
                      done[0] = true;
                      receiving.bodyReceived();
                      emitter.complete(receiving);
                    }
                  });
              if (request.isEnded()) {
                // Nothing more will come (a body Vert.x had read already): end now.
                if (!done[0]) {
                  done[0] = true;
                  receiving.bodyReceived();
                  emitter.complete(receiving);
                }
                return;
              }
              if (request.response().closed()) {
                // The connection closed before these handlers were attached (e.g. while a worker
                // ran the quota pre-check): Vert.x told nobody and will not again. Without this
                // the upload would hold its permits and temp file for ever (found by
                // clientsGoneRightAfterTheHeadLeaveNoTempFileAndNoPermit).
                done[0] = true;
                emitter.fail(receiving.interrupted());
                return;
              }
              request.resume();
            });
  }

  private static void append(UploadService.Receiving receiving, Buffer chunk) {
    ByteBuf buf = chunk.getByteBuf();
    int length = buf.readableBytes();
    if (length == 0) {
      return;
    }
    if (buf.hasArray()) {
      receiving.append(buf.array(), buf.arrayOffset() + buf.readerIndex(), length);
    } else {
      receiving.append(chunk.getBytes(), 0, length);
    }
  }
}
