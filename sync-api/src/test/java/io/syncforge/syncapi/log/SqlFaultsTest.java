package io.syncforge.syncapi.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.ProblemException;
import io.syncforge.service.ProblemMapper;
import io.syncforge.service.SqlFaults;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class SqlFaultsTest {

  @Test
  void onlyTransientStatesAreRetryable() {
    for (String state :
        new String[] {"08001", "08006", "57P01", "57P03", "53300", "57014", "40001"}) {
      assertTrue(SqlFaults.isTransient(new SQLException("x", state)), state);
    }
    for (String state : new String[] {"42501", "42P01", "42703", "22P02", "23505", "XX000"}) {
      assertFalse(SqlFaults.isTransient(new SQLException("x", state)), state);
    }
    assertTrue(SqlFaults.isTransient(new SQLException("Sorry, acquisition timeout!")));
    assertTrue(SqlFaults.isTransient(new SQLTransientConnectionException("pool")));
    assertTrue(
        SqlFaults.isTransient(new SQLException("wrapped", null, new java.io.EOFException())));
  }

  @Test
  void aTransientFaultIs503AndAnyOtherA500WithoutDatabaseWords() {
    RuntimeException t = ReadTransactions.fault(new SQLException("conn", "08006"));
    ProblemException p = assertInstanceOf(ProblemException.class, t);
    assertEquals(ErrorCode.UNAVAILABLE, p.code());
    assertEquals(2, p.retryAfterSeconds());

    RuntimeException grant =
        ReadTransactions.fault(new SQLException("permission denied for table records", "42501"));
    Response r = new ProblemMapper().toResponse(grant);
    assertEquals(500, r.getStatus());
    io.syncforge.protocol.Problem body = (io.syncforge.protocol.Problem) r.getEntity();
    assertEquals("internal", body.code());
    assertTrue(body.detail().contains(body.traceId()), body.detail());
    assertFalse(body.detail().contains("permission"), body.detail());
    assertFalse(body.detail().contains("SQL"), body.detail());
    assertFalse(body.detail().contains("java."), body.detail());
  }
}
