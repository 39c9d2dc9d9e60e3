package io.syncforge.client;

/**
 * Told how media transfers advance: when a file is taken up, finishes or fails, and while bytes
 * move (at most every {@link MediaSync#PROGRESS_INTERVAL} per file). Called on the client's
 * callback executor. A functional interface: {@code client.media().addProgressListener(p ->
 * bar.set(p.bytesDone(), p.bytesTotal()))}.
 */
@FunctionalInterface
public interface MediaProgressListener {
  /** The media progress changed. */
  void onProgress(MediaProgress progress);
}
