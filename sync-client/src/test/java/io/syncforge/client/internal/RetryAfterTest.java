package io.syncforge.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

/** Retry-After in both forms of RFC 9110 (the sync-api's 429 and 503 send it). */
class RetryAfterTest {
  @Test
  void secondsAndHttpDatesAreReadAndGarbageIsIgnored() {
    assertEquals(Duration.ofSeconds(7), ApiClient.parseRetryAfter(" 7 "));
    assertNull(ApiClient.parseRetryAfter("-3"));
    assertNull(ApiClient.parseRetryAfter("soon"));
    String inAMinute =
        ZonedDateTime.now(ZoneOffset.UTC)
            .plusSeconds(60)
            .format(DateTimeFormatter.RFC_1123_DATE_TIME);
    Duration d = ApiClient.parseRetryAfter(inAMinute);
    assertTrue(
        d.compareTo(Duration.ofSeconds(50)) > 0 && d.compareTo(Duration.ofSeconds(61)) <= 0,
        d.toString());
    assertEquals(Duration.ZERO, ApiClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
  }
}
