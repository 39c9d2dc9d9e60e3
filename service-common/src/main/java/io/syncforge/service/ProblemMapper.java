package io.syncforge.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Problem;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The one error mapper of every service: any exception becomes an {@code application/problem+json}
 * body {@code {type, title, status, detail, code, traceId}} with a stable code. Unexpected
 * exceptions are logged with the trace id and answered as {@code internal} without class names or
 * stack traces; a transient database failure anywhere in the cause chain ({@link SqlFaults}) is
 * {@code 503 unavailable} with {@code Retry-After}.
 */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {

  /** The media type of every error body. */
  public static final String PROBLEM_JSON = "application/problem+json";

  private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

  @Override
  public Response toResponse(Throwable e) {
    String traceId = UUID.randomUUID().toString();
    if (e instanceof ProblemException p) {
      Problem body =
          new Problem(
              p.code().type(),
              p.code().title(),
              p.code().status(),
              p.getMessage(),
              p.code().code(),
              traceId,
              p.resetReason() == null ? null : p.resetReason().wire(),
              p.errors().isEmpty() ? null : p.errors());
      Response.ResponseBuilder r =
          Response.status(p.code().status()).entity(body).type(PROBLEM_JSON);
      if (p.retryAfterSeconds() != null) {
        r.header("Retry-After", p.retryAfterSeconds());
      }
      if (p.code() == ErrorCode.UNAUTHORIZED) {
        r.header("WWW-Authenticate", "Bearer");
      }
      return r.build();
    }
    if (e instanceof UnauthorizedException || e instanceof AuthenticationFailedException) {
      return problem(ErrorCode.UNAUTHORIZED, "a valid bearer token is required", traceId);
    }
    if (e instanceof ForbiddenException) {
      return problem(ErrorCode.FORBIDDEN, "the token does not allow this", traceId);
    }
    if (e instanceof JsonProcessingException j) {
      return problem(
          ErrorCode.INVALID_REQUEST, "malformed JSON: " + j.getOriginalMessage(), traceId);
    }
    if (e instanceof NotFoundException) {
      return problem(ErrorCode.NOT_FOUND, "no such resource", traceId);
    }
    if (e instanceof NotAllowedException) {
      return problem(ErrorCode.INVALID_REQUEST, "method not allowed here", traceId, 405);
    }
    if (e instanceof NotSupportedException) {
      return problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "unsupported content type", traceId);
    }
    if (e instanceof WebApplicationException w && w.getResponse().getStatus() < 500) {
      int status = w.getResponse().getStatus();
      ErrorCode code =
          switch (status) {
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 403 -> ErrorCode.FORBIDDEN;
            case 404 -> ErrorCode.NOT_FOUND;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
            default -> ErrorCode.INVALID_REQUEST;
          };
      // Quarkus wraps body-reading failures (bad JSON) as 400 WebApplicationExceptions.
      String detail = cause(w, JsonProcessingException.class);
      return problem(
          code, detail != null ? "malformed JSON: " + detail : w.getMessage(), traceId, status);
    }
    java.sql.SQLException sql = sqlCause(e);
    if (sql != null && SqlFaults.isTransient(sql)) {
      // The database is down, failing over or the pool is exhausted: the same request will work
      // later (the failure model's 503 + Retry-After, never a 500 a client would give up on).
      LOG.warnf("transient database failure, traceId=%s: %s", traceId, sql.toString());
      return Response.fromResponse(
              problem(
                  ErrorCode.UNAVAILABLE,
                  "the database is unavailable for a moment; retry later",
                  traceId))
          .header("Retry-After", 2)
          .build();
    }
    LOG.errorf(e, "unexpected error, traceId=%s", traceId);
    return problem(ErrorCode.INTERNAL, "unexpected server error; traceId " + traceId, traceId);
  }

  /** A problem response for a code, with the code's own status. */
  public static Response problem(ErrorCode code, String detail, String traceId) {
    return problem(code, detail, traceId, code.status());
  }

  private static Response problem(ErrorCode code, String detail, String traceId, int status) {
    return Response.status(status)
        .entity(
            new Problem(
                code.type(), code.title(), status, detail, code.code(), traceId, null, null))
        .type(PROBLEM_JSON)
        .build();
  }

  private static java.sql.SQLException sqlCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.sql.SQLException s) {
        return s;
      }
    }
    return null;
  }

  private static String cause(Throwable t, Class<? extends JsonProcessingException> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return ((JsonProcessingException) c).getOriginalMessage();
      }
    }
    return null;
  }
}
