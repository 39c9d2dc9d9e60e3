package io.syncforge.protocol;

/**
 * One violation inside a request body.
 *
 * @param path where, as a JSON path relative to the body, e.g. {@code mutations[3].recordId}
 * @param message what is wrong, for a developer
 */
public record FieldError(String path, String message) {}
