package org.safethread.stress.support;

import java.util.concurrent.atomic.AtomicInteger;
import org.safethread.Shareable;

/**
 * A two-party meeting point with a deadline, passed into monitor methods (hence
 * {@link Shareable}: it is thread-safe). Used to make both actors hold their outer monitor
 * before either goes on.
 */
@Shareable
public final class Rendezvous {
    private final AtomicInteger arrived = new AtomicInteger();

    /**
     * Arrives and waits for the other party.
     *
     * @return false if the other party did not arrive within {@link Spin#PARTNER_NANOS}
     */
    public boolean arriveAndAwait() {
        arrived.incrementAndGet();
        return Spin.until(() -> arrived.get() >= 2, Spin.PARTNER_NANOS);
    }
}
