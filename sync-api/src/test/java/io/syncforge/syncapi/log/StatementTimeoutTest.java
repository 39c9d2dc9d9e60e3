package io.syncforge.syncapi.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.ProblemException;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Issue 13 item 8: read paths run under a statement timeout, and hitting it is a 503. */
@QuarkusTest
@WithDevInfra
class StatementTimeoutTest {

  @Inject AgroalDataSource dataSource;
  @Inject ReadTransactions tx;

  @Test
  void everyPooledConnectionHasTheStatementTimeout() throws Exception {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW statement_timeout")) {
      rs.next();
      assertEquals("10s", rs.getString(1));
    }
  }

  @Test
  void aStatementOverTheTimeoutIsAnswered503() {
    RuntimeException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            RuntimeException.class,
            () ->
                tx.read(
                    c -> {
                      try (Statement s = c.createStatement()) {
                        s.execute("SET LOCAL statement_timeout = 100");
                        s.execute("SELECT pg_sleep(2)");
                      }
                      return null;
                    }));
    ProblemException p = assertInstanceOf(ProblemException.class, e);
    assertEquals(ErrorCode.UNAVAILABLE, p.code());
  }

  /**
   * A read is one read-only repeatable-read snapshot (set per transaction, not per session), and
   * the pooled connection is back to the session's defaults after it.
   */
  @Test
  void aReadIsOneReadOnlyRepeatableReadTransaction() throws Exception {
    String inside =
        tx.read(
            c -> {
              try (Statement s = c.createStatement();
                  ResultSet rs =
                      s.executeQuery(
                          "SELECT current_setting('transaction_isolation'),"
                              + " current_setting('transaction_read_only')")) {
                rs.next();
                return rs.getString(1) + "/" + rs.getString(2);
              }
            });
    assertEquals("repeatable read/on", inside);
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_setting('transaction_isolation'),"
                    + " current_setting('transaction_read_only')")) {
      rs.next();
      assertEquals("read committed/off", rs.getString(1) + "/" + rs.getString(2));
    }
  }
}
