package io.syncforge.service;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.syncforge.protocol.ErrorCode;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Security failures as problem+json. Quarkus REST answers these with its own empty responses unless
 * a server exception mapper claims them. For a missing or bad token to reach this mapper too,
 * services set {@code quarkus.http.auth.proactive=false}.
 */
public class SecurityProblemMappers {

  @ServerExceptionMapper
  public Response unauthorized(UnauthorizedException e) {
    return unauthorized();
  }

  @ServerExceptionMapper
  public Response authenticationFailed(AuthenticationFailedException e) {
    return unauthorized();
  }

  @ServerExceptionMapper
  public Response forbidden(ForbiddenException e) {
    return ProblemMapper.problem(
        ErrorCode.FORBIDDEN, "the token does not allow this", UUID.randomUUID().toString());
  }

  private static Response unauthorized() {
    Response r =
        ProblemMapper.problem(
            ErrorCode.UNAUTHORIZED,
            "a valid, unexpired bearer token is required",
            UUID.randomUUID().toString());
    return Response.fromResponse(r).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
  }
}
