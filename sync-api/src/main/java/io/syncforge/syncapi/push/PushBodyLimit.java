package io.syncforge.syncapi.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.Problem;
import io.syncforge.service.ProblemMapper;
import io.syncforge.syncapi.config.SyncApiConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A push whose {@code Content-Length} is over the limit is answered {@code 413} problem+json at
 * once, before the body is buffered, and the rest of the body is read and thrown away so that the
 * client, still writing, receives the answer instead of a reset connection. Bodies longer than
 * {@link #DRAIN_BYTES} are not read to the end: the connection is closed after the answer.
 *
 * <p>Runs before Quarkus' own {@code quarkus.http.limits.max-body-size} check (which answers a bare
 * 413 and cuts the connection); bodies without a {@code Content-Length} (chunked) are counted by
 * {@link PushService#parse} up to that outer cap.
 */
@ApplicationScoped
public class PushBodyLimit {

  /** Most bytes of an over-limit body read (and discarded) so the answer reaches the client. */
  static final long DRAIN_BYTES = 64L * 1024 * 1024;

  private static final ObjectMapper MAPPER = Json.newMapper();

  private final int maxBytes;

  PushBodyLimit(SyncApiConfig config) {
    this.maxBytes = Math.min(config.push().maxRequestBytes(), Limits.MAX_REQUEST_BYTES);
  }

  void install(@Observes Router router) {
    router
        .route(HttpMethod.POST, "/v1/sync/push")
        .order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1)
        .handler(this::check);
  }

  private void check(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String header = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    long length;
    try {
      length = header == null ? -1 : Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      length = -1; // the HTTP layer refuses a malformed Content-Length itself
    }
    if (length <= maxBytes) {
      ctx.next();
      return;
    }
    String traceId = UUID.randomUUID().toString();
    ErrorCode code = ErrorCode.PAYLOAD_TOO_LARGE;
    Problem problem =
        new Problem(
            code.type(),
            code.title(),
            code.status(),
            "the body is " + length + " bytes, more than the limit of " + maxBytes,
            code.code(),
            traceId,
            null,
            null);
    String json;
    try {
      json = MAPPER.writeValueAsString(problem);
    } catch (JsonProcessingException e) {
      json = "{\"status\":413,\"code\":\"payload_too_large\"}";
    }
    boolean drain = length <= DRAIN_BYTES;
    AtomicLong read = new AtomicLong();
    if (drain) {
      request.handler(buf -> read.addAndGet(buf.length()));
      request.exceptionHandler(e -> {});
      request.resume();
    } else {
      ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
      ctx.response().endHandler(v -> request.connection().close());
    }
    ctx.response()
        .setStatusCode(code.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
        .end(json);
  }
}
