package org.safethread.stress.support;

import java.time.Duration;
import org.safethread.DeathQueue;

/** Counting death notices of one jcstress state. */
public final class Deaths {
    private Deaths() {
    }

    /** @return notices queued now (non-blocking) */
    public static int drain(DeathQueue<?> q) {
        int n = 0;
        while (q.poll() != null) {
            n++;
        }
        return n;
    }

    /**
     * Waits up to {@code timeout} for the first notice (death may legitimately be a few
     * milliseconds late when a helper merges for an owner), then counts any further ones.
     *
     * @return notices received
     */
    public static int await(DeathQueue<?> q, Duration timeout) {
        try {
            if (q.poll(timeout) == null) {
                return 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        return 1 + drain(q);
    }
}
