package io.syncforge.changelog.apply;

import io.syncforge.changelog.store.LogWriter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The change-log-store's writer API as a bean (it is a plain, stateless library class). */
class StoreBeans {

  @Produces
  @Singleton
  LogWriter logWriter() {
    return new LogWriter();
  }
}
