package io.syncforge.syncapi.config;

import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Declares, in {@code /q/openapi}, the error responses every device endpoint shares (401, 403, 503
 * as problem+json), so resources state only their own. An operation that documents one of these
 * codes itself keeps its wording. Every error response a resource declares without a body (only
 * code and description) gets the problem+json body, so resources do not repeat it.
 */
public class CommonErrorResponses implements OASFilter {

  private static final Map<String, String> COMMON =
      Map.of(
          "401", "unauthorized: missing, invalid or expired token",
          "403", "forbidden: the token has no tenant",
          "503", "unavailable: the database is down; retry after Retry-After");

  @Override
  public Operation filterOperation(Operation operation) {
    APIResponses responses = operation.getResponses();
    if (responses == null) {
      return operation;
    }
    COMMON.forEach(
        (code, description) -> {
          if (!responses.hasAPIResponse(code)) {
            responses.addAPIResponse(code, problem(description));
          }
        });
    if (responses.getAPIResponses() != null) {
      responses
          .getAPIResponses()
          .forEach(
              (code, response) -> {
                if (code.matches("[45]\\d\\d") && response.getContent() == null) {
                  response.setContent(problem(response.getDescription()).getContent());
                }
              });
    }
    return operation;
  }

  private static APIResponse problem(String description) {
    return OASFactory.createAPIResponse()
        .description(description)
        .content(
            OASFactory.createContent()
                .addMediaType(
                    "application/problem+json",
                    OASFactory.createMediaType().schema(OASFactory.createSchema().ref("Problem"))));
  }
}
