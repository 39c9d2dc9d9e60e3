package io.syncforge.changelog.admin;

import io.syncforge.changelog.compaction.Compactor;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import io.syncforge.service.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Back-office API; every call needs the {@code sync-admin} group. */
@Path("/v1/admin")
@RolesAllowed(Caller.ADMIN_ROLE)
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

  private final AdminService service;
  private final Compactor compactor;
  private final JsonWebToken jwt;

  AdminResource(AdminService service, Compactor compactor, JsonWebToken jwt) {
    this.service = service;
    this.compactor = compactor;
    this.jwt = jwt;
  }

  /**
   * Back-office writes for the token's tenant, through the same Kafka path as devices' pushes:
   * {@code 202} with one {@code pending} outcome per mutation once all are durable in Kafka; the
   * final outcomes appear as receipts of the given {@code clientId} (default {@code admin}).
   */
  @POST
  @Path("/mutations")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response mutations(PushRequest request) {
    PushResponse response = service.submit(Caller.of(jwt), request);
    return Response.accepted(response).build();
  }

  /** Per partition: stored position, Kafka end offset, lag, log rows and horizon. */
  @GET
  @Path("/stats")
  public AdminService.Stats stats() {
    return service.stats();
  }

  /** Runs compaction and retention now. */
  @POST
  @Path("/compact")
  public Compactor.Result compact() {
    return compactor.compactNow();
  }
}
