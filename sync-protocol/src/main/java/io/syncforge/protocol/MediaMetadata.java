package io.syncforge.protocol;

import java.time.Instant;

/**
 * What the record set knows about one binary; the bytes come from the media service.
 *
 * @param sha256 the content hash, 64 lower-case hex characters; the object's address
 * @param size the length in bytes
 * @param contentType the MIME type declared at upload
 * @param fileName the name declared at upload ({@code X-File-Name}); may be absent
 * @param url where to download the bytes, relative to the media service
 * @param uploadedBy the user ({@code sub}) who first uploaded the content
 * @param uploadedAt the server clock at first upload
 */
public record MediaMetadata(
    String sha256,
    long size,
    String contentType,
    String fileName,
    String url,
    String uploadedBy,
    Instant uploadedAt) {}
