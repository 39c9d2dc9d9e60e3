package io.syncforge.service;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.protocol.validation.ValidationException;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who is calling, from a verified JWT: {@code tenant} claim, {@code sub} user, {@code groups}
 * roles. Every query is scoped by {@link #tenant()}.
 *
 * @param tenant the tenant every query is scoped to
 * @param user the user id ({@code sub})
 * @param admin whether the token holds the {@code sync-admin} group
 */
public record Caller(String tenant, String user, boolean admin) {

  /** The group that admin endpoints require. */
  public static final String ADMIN_ROLE = "sync-admin";

  /**
   * Reads the caller from a verified token.
   *
   * @throws ProblemException 401 {@code unauthorized} when the token lacks a valid tenant claim: a
   *     token not issued for SyncForge's devices is no credential here (issue 13 item 4)
   */
  public static Caller of(JsonWebToken jwt) {
    if (jwt == null || jwt.getRawToken() == null) {
      throw new ProblemException(ErrorCode.UNAUTHORIZED, "a valid bearer token is required");
    }
    Object claim = jwt.getClaim("tenant");
    String tenant = claim == null ? null : claim.toString().replace("\"", "");
    try {
      Ids.validateTenant(tenant);
    } catch (ValidationException e) {
      throw new ProblemException(ErrorCode.UNAUTHORIZED, "the token has no valid tenant claim");
    }
    String user = jwt.getSubject() != null ? jwt.getSubject() : jwt.getName();
    boolean admin = jwt.getGroups() != null && jwt.getGroups().contains(ADMIN_ROLE);
    return new Caller(tenant, user, admin);
  }
}
