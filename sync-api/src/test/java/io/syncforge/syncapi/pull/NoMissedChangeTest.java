package io.syncforge.syncapi.pull;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.ChangeLogWriter;
import io.syncforge.syncapi.TestSupport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Writers commit batches into all twelve partitions concurrently and at random moments, while a
 * reader pulls in pages of five: the union of the pages is exactly the set of committed changes,
 * each delivered once.
 */
@QuarkusTest
@WithDevInfra
class NoMissedChangeTest {

  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final int PRODUCERS = 3;
  private static final int PER_PRODUCER = 150;

  @Test
  void theUnionOfPagesIsEveryCommittedChangeExactlyOnce() throws Exception {
    String tenant = TestSupport.tenant("nomiss");
    ChangeLogWriter.get();
    String token = TestSupport.token(tenant);
    // Warm the HTTP client up first, so that the pulls really interleave with the commits.
    given().auth().oauth2(token).get("/v1/sync/pull").then().statusCode(200);
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
    Set<String> pulled = new HashSet<>();
    int duplicates = 0;
    int pages = 0;
    int pagesWhileWriting = 0;
    try {
      List<Future<?>> producers = new ArrayList<>();
      for (int t = 0; t < PRODUCERS; t++) {
        int thread = t;
        producers.add(pool.submit(() -> produce(tenant, thread)));
      }
      String cursor = null;
      boolean settled = false;
      Connection db = TestSupport.superuser();
      while (!settled) {
        boolean done =
            producers.stream().allMatch(Future::isDone) && committed(db, tenant) == total();
        var req = given().auth().oauth2(token).queryParam("limit", 5);
        if (cursor != null) {
          req.queryParam("cursor", cursor);
        }
        JsonPath page = req.get("/v1/sync/pull").then().statusCode(200).extract().jsonPath();
        pages++;
        if (!done) {
          pagesWhileWriting++;
        }
        for (String id : page.<String>getList("changes.recordId")) {
          if (!pulled.add(id)) {
            duplicates++;
          }
        }
        cursor = page.getString("cursor");
        // Settled: everything was committed before this pull began, and it reached the end.
        settled = done && !page.getBoolean("hasMore");
      }
      db.close();
      for (Future<?> f : producers) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    Set<String> inLog = new HashSet<>();
    try (Connection c = TestSupport.superuser();
        PreparedStatement s =
            c.prepareStatement("SELECT record_id FROM change_log WHERE tenant = ?")) {
      s.setString(1, tenant);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          inLog.add(rs.getString(1));
        }
      }
    }
    System.out.printf(
        "no-missed-change: %d changes over %d pages, %d of them while writers were committing%n",
        pulled.size(), pages, pagesWhileWriting);
    assertEquals(total(), inLog.size());
    assertEquals(0, duplicates, "changes delivered twice");
    assertEquals(inLog, pulled);
    assertTrue(pagesWhileWriting >= 3, "pages pulled while writing: " + pagesWhileWriting);
  }

  private static int total() {
    return PRODUCERS * PER_PRODUCER;
  }

  private static int committed(Connection c, String tenant) throws Exception {
    try (PreparedStatement s =
        c.prepareStatement("SELECT count(*) FROM change_log WHERE tenant = ?")) {
      s.setString(1, tenant);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static Void produce(String tenant, int thread) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < PER_PRODUCER; i++) {
        Mutation m =
            new Mutation(
                UUID.randomUUID(),
                "tasks",
                "r-" + thread + "-" + i,
                Op.UPSERT,
                null,
                MAPPER.createObjectNode().put("i", i),
                null);
        MutationEnvelope env =
            new MutationEnvelope(tenant, "u", "dev-" + thread, m, Instant.now(), "device");
        producer.send(
            new ProducerRecord<>(Topics.MUTATIONS, env.key(), MAPPER.writeValueAsString(env)));
        if (i % 10 == 0) {
          producer.flush();
          Thread.sleep(100);
        }
      }
    }
    return null;
  }
}
