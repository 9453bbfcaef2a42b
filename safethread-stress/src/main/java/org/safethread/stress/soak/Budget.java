package org.safethread.stress.soak;

import java.time.Duration;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * The soak's stand-in for off-heap memory: a byte budget, as a monitor. Buffers take bytes when
 * they are made and their finalizer cores give them back; {@link #held()} must be 0 once every
 * buffer died and every finalizer ran.
 */
public class Budget {
    private final long limit;
    private long held;
    private long overFreed;

    /** @param limit bytes that may be held at once */
    public Budget(long limit) {
        this.limit = limit;
    }

    /**
     * Takes {@code bytes}, waiting up to {@code wait} (monitor released) for them to be free.
     *
     * @return false if they were not free in time
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    @MonitorMethod
    public boolean allocate(long bytes, Duration wait) throws InterruptedException {
        if (!Monitor.await(() -> held + bytes <= limit, wait)) {
            return false;
        }
        held += bytes;
        return true;
    }

    /** Gives {@code bytes} back. */
    @MonitorMethod
    public void free(long bytes) {
        held -= bytes;
        if (held < 0) {
            overFreed -= held;
            held = 0;
        }
    }

    /** @return bytes held now */
    @MonitorMethod
    public long held() {
        return held;
    }

    /** @return bytes given back that were never taken (must stay 0) */
    @MonitorMethod
    public long overFreed() {
        return overFreed;
    }
}
