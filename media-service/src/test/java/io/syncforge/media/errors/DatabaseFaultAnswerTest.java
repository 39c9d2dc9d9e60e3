package io.syncforge.media.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.syncforge.service.ProblemMapper;
import jakarta.persistence.PersistenceException;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * The load test found media-service answering an exhausted connection pool with {@code 500
 * internal} (the JDBC failure arrives wrapped by Hibernate): a client gives up on a 500, while the
 * failure model promises {@code 503} + {@code Retry-After} for anything that works later. A bug (a
 * missing grant) stays a logged 500.
 */
class DatabaseFaultAnswerTest {

  private final ProblemMapper mapper = new ProblemMapper();

  @Test
  void anExhaustedPoolWrappedByHibernateIs503WithRetryAfter() {
    Response r =
        mapper.toResponse(
            new PersistenceException(
                "could not prepare statement",
                new SQLException("Acquisition timeout while waiting for new connection")));
    assertEquals(503, r.getStatus());
    assertNotNull(r.getHeaderString("Retry-After"));
    assertEquals(ProblemMapper.PROBLEM_JSON, r.getMediaType().toString());
  }

  @Test
  void aLostConnectionIs503() {
    Response r =
        mapper.toResponse(
            new RuntimeException(new SQLException("terminating connection", "57P01")));
    assertEquals(503, r.getStatus());
  }

  @Test
  void aMissingGrantIsA500WithoutRetryAfter() {
    Response r =
        mapper.toResponse(
            new PersistenceException(new SQLException("permission denied for table", "42501")));
    assertEquals(500, r.getStatus());
    assertNull(r.getHeaderString("Retry-After"));
  }
}
