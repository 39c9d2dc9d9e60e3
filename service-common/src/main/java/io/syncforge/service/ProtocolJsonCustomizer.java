package io.syncforge.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import io.syncforge.protocol.Json;
import jakarta.inject.Singleton;

/** Gives Quarkus' ObjectMapper the protocol's one JSON configuration ({@link Json}). */
@Singleton
public class ProtocolJsonCustomizer implements ObjectMapperCustomizer {

  @Override
  public void customize(ObjectMapper mapper) {
    Json.configure(mapper);
  }
}
