package io.syncforge.protocol.validation;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.syncforge.protocol.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class IdsTest {

  @ParameterizedTest
  @ValueSource(strings = {"a", "acme", "acme-eu_1", "0tenant"})
  void validTenants(String t) {
    assertEquals(t, Ids.validateTenant(t));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"Acme", "-acme", "_acme", "ac me", "acme/x", "../x", "ténant", "acme."})
  void invalidTenants(String t) {
    assertInvalid(() -> Ids.validateTenant(t), "tenant");
  }

  @Test
  void tenantLength() {
    assertDoesNotThrow(() -> Ids.validateTenant("a".repeat(64)));
    assertInvalid(() -> Ids.validateTenant("a".repeat(65)), "tenant");
  }

  @ParameterizedTest
  @ValueSource(strings = {"tasks", "t", "task_lists2"})
  void validCollections(String c) {
    assertEquals(c, Ids.validateCollection(c));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"Tasks", "2tasks", "task-lists", "tasks/x", "../x", "tâches", "a.b"})
  void invalidCollections(String c) {
    assertInvalid(() -> Ids.validateCollection(c), "collection");
  }

  @Test
  void collectionLength() {
    assertDoesNotThrow(() -> Ids.validateCollection("a".repeat(63)));
    assertInvalid(() -> Ids.validateCollection("a".repeat(64)), "collection");
  }

  @Test
  void systemCollectionsNeedTheFlag() {
    assertInvalid(() -> Ids.validateCollection("_media"), "collection");
    assertEquals("_media", Ids.validateCollection("_media", "c", true));
    ValidationException e =
        assertThrows(ValidationException.class, () -> Ids.validateCollection("_users", "c", true));
    assertEquals(ErrorCode.UNKNOWN_COLLECTION, e.code());
    assertTrue(Ids.isSystemCollection("_media"));
    assertFalse(Ids.isSystemCollection("tasks"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1", "abc-DEF_1", "user@example.com", "a:b:c", "...", ".hidden", "x.."})
  void validRecordIds(String id) {
    assertEquals(id, Ids.validateRecordId(id));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {".", "..", "../x", "a/b", "a\\b", "a b", "ключ", "emoji\uD83D\uDE00", "a%2F"})
  void invalidRecordIds(String id) {
    assertInvalid(() -> Ids.validateRecordId(id), "recordId");
  }

  @Test
  void recordIdLengthAndPath() {
    assertDoesNotThrow(() -> Ids.validateRecordId("r".repeat(128)));
    ValidationException e =
        assertThrows(
            ValidationException.class,
            () -> Ids.validateRecordId("r".repeat(129), "mutations[3].recordId"));
    assertEquals("mutations[3].recordId", e.path());
  }

  @ParameterizedTest
  @ValueSource(strings = {"device-1", "A_b-9", "0"})
  void validClientIds(String id) {
    assertEquals(id, Ids.validateClientId(id));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"dev ice", "dev.1", "dev/1", "../x", "gerät"})
  void invalidClientIds(String id) {
    assertInvalid(() -> Ids.validateClientId(id), "clientId");
  }

  @Test
  void clientIdLength() {
    assertDoesNotThrow(() -> Ids.validateClientId("c".repeat(64)));
    assertInvalid(() -> Ids.validateClientId("c".repeat(65)), "clientId");
  }

  @Test
  void sha256() {
    String ok = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assertTrue(Ids.isSha256Hex(ok));
    assertFalse(Ids.isSha256Hex(ok.toUpperCase()));
    assertFalse(Ids.isSha256Hex(ok.substring(1)));
    assertFalse(Ids.isSha256Hex(ok + "0"));
    assertFalse(Ids.isSha256Hex(ok.replace('e', 'g')));
    assertFalse(Ids.isSha256Hex("../" + ok.substring(3)));
    assertFalse(Ids.isSha256Hex(null));
    assertInvalid(() -> Ids.validateSha256("abc", "sha256"), "sha256");
  }

  private static void assertInvalid(Runnable check, String path) {
    ValidationException e = assertThrows(ValidationException.class, check::run);
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertEquals(path, e.path());
    assertEquals(path, e.toFieldError().path());
  }
}
