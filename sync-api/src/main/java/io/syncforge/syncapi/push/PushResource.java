package io.syncforge.syncapi.push;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import io.syncforge.service.Caller;
import io.syncforge.syncapi.limit.RateLimits;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** {@code POST /v1/sync/push}: a device uploads its queued mutations. */
@Path("/v1/sync/push")
@Authenticated
public class PushResource {

  private final PushService service;
  private final JsonWebToken jwt;
  private final RateLimits limits;

  PushResource(PushService service, JsonWebToken jwt, RateLimits limits) {
    this.service = service;
    this.jwt = jwt;
    this.limits = limits;
  }

  @POST
  @Blocking
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces(MediaType.APPLICATION_JSON)
  @APIResponse(
      responseCode = "200",
      description = "OK",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = PushResponse.class)))
  @APIResponse(
      responseCode = "400",
      description =
          "invalid_request: malformed JSON or any invalid mutation (errors lists them); nothing is accepted")
  @APIResponse(
      responseCode = "413",
      description = "payload_too_large: more than 500 mutations or a body over 2 MiB")
  @APIResponse(responseCode = "415", description = "unsupported_media_type: not application/json")
  @APIResponse(
      responseCode = "422",
      description =
          "unknown_collection: a collection the server does not know; nothing is accepted")
  @APIResponse(
      responseCode = "503",
      description =
          "unavailable: Kafka could not make the mutations durable; retry after Retry-After with the same mutationIds")
  @Operation(
      summary = "Upload queued mutations",
      description =
          "Validates the whole request, makes every mutation durable in the log and answers one"
              + " outcome per mutation (pending when not final within the push wait). See"
              + " docs/sync-protocol.md section 3.")
  @RequestBody(
      required = true,
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = PushRequest.class)))
  public Uni<PushResponse> push(byte[] body) {
    // The body is read raw so that its size is checked before any parsing (413 problem+json).
    Caller caller = Caller.of(jwt);
    PushRequest request = service.parse(body);
    limits.request(caller, request.clientId());
    limits.mutations(caller, request.mutations().size());
    return service.push(caller, request);
  }
}
