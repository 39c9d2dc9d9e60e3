package io.syncforge.devinfra.quarkus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 4: the selection between the embedded launchers and Testcontainers. This machine
 * has the {@code docker} CLI but no engine, so the Testcontainers path is proved here by its
 * fallback.
 */
class InfraModeTest {

  @Test
  void embeddedUnlessAskedFor() {
    List<String> warnings = new ArrayList<>();
    assertEquals(InfraMode.EMBEDDED, InfraMode.select(null, () -> true, warnings::add));
    assertEquals(InfraMode.EMBEDDED, InfraMode.select("", () -> true, warnings::add));
    assertEquals(InfraMode.EMBEDDED, InfraMode.select("embedded", () -> true, warnings::add));
    assertEquals(InfraMode.TESTCONTAINERS, InfraMode.select("auto", () -> true, warnings::add));
    assertEquals(InfraMode.EMBEDDED, InfraMode.select("auto", () -> false, warnings::add));
    assertEquals(
        InfraMode.TESTCONTAINERS, InfraMode.select(" TestContainers ", () -> true, warnings::add));
    assertEquals(List.of(), warnings);
    assertThrows(
        IllegalArgumentException.class,
        () -> InfraMode.select("docker", () -> true, warnings::add));
  }

  @Test
  void testcontainersWithoutDockerFallsBackWithAWarning() {
    List<String> warnings = new ArrayList<>();
    assertEquals(
        InfraMode.EMBEDDED, InfraMode.select("testcontainers", () -> false, warnings::add));
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("embedded"), warnings.get(0));
  }

  @Test
  void theRealDockerProbeSaysNoHereAndDoesNotThrow() {
    // Testcontainers is on this module's classpath; the engine is not on this machine.
    assertFalse(InfraMode.dockerAvailable());
    List<String> warnings = new ArrayList<>();
    assertEquals(
        InfraMode.EMBEDDED,
        InfraMode.select("testcontainers", InfraMode::dockerAvailable, warnings::add));
    assertEquals(
        InfraMode.EMBEDDED, InfraMode.select("auto", InfraMode::dockerAvailable, warnings::add));
    assertEquals(1, warnings.size());
  }

  @Test
  void theTestResourcesStartTheEmbeddedOnesWhenDockerIsMissing() throws Exception {
    String before = System.getProperty(InfraMode.PROPERTY);
    System.setProperty(InfraMode.PROPERTY, "testcontainers");
    PostgresTestResource pg = new PostgresTestResource();
    PostgresTestResource second = new PostgresTestResource();
    try {
      pg.init(Map.of());
      second.init(Map.of());
      Map<String, String> config = pg.start();
      // A second declaration shares the server instead of starting another on the same data.
      assertEquals(config, second.start());
      assertSame(PostgresTestResource.current(), PostgresTestResource.current());
      try (var c =
              DriverManager.getConnection(
                  PostgresTestResource.jdbcUrl(),
                  PostgresTestResource.username(),
                  PostgresTestResource.password());
          ResultSet r = c.createStatement().executeQuery("SELECT 1")) {
        assertTrue(r.next());
      }
      second.stop();
      assertTrue(PostgresTestResource.current().pid() > 0, "still running for the first user");
    } finally {
      pg.stop();
      if (before == null) {
        System.clearProperty(InfraMode.PROPERTY);
      } else {
        System.setProperty(InfraMode.PROPERTY, before);
      }
    }
    assertThrows(IllegalStateException.class, PostgresTestResource::current);
  }
}
