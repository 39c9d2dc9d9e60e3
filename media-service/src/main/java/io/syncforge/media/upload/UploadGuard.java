package io.syncforge.media.upload;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.syncforge.media.MediaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/** The pod's {@link UploadLimits}, from {@code sync.media.limits.*}, checked once a second. */
@ApplicationScoped
public class UploadGuard {

  private static final Logger LOG = Logger.getLogger(UploadGuard.class);

  private final UploadLimits limits;

  public UploadGuard(MediaConfig config, MeterRegistry meters) {
    MediaConfig.Limits l = config.limits();
    this.limits =
        new UploadLimits(
            l.uploadsPerPod(),
            l.uploadsPerDevice(),
            l.idleTimeout(),
            l.minBytesPerSecond(),
            l.rateWindow(),
            System::nanoTime);
    meters.gauge("media.uploads.running", limits, UploadLimits::running);
  }

  /** The limits. */
  public UploadLimits limits() {
    return limits;
  }

  @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void check() {
    int ended = limits.check();
    if (ended > 0) {
      LOG.infof("ended %d upload(s) below the minimum transfer rate", ended);
    }
  }
}
