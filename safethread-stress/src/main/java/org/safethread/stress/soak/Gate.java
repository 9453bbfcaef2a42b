package org.safethread.stress.soak;

import java.time.Duration;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * A monitor the soak's branch children use: {@link #awaitCancel} waits on a condition that never
 * holds, so only a cancellation (its {@code CancelledException}) or the timeout ends it;
 * {@link #touch} is a plain monitor entry.
 */
public class Gate {
    private long touches;

    /**
     * Waits (monitor released) on a condition that never holds.
     *
     * @return false once {@code wait} ran out (a child that was never cancelled)
     * @throws InterruptedException if interrupted outside a branch
     */
    @MonitorMethod
    public boolean awaitCancel(Duration wait) throws InterruptedException {
        return Monitor.await(() -> false, wait);
    }

    /** @return the number of entries so far */
    @MonitorMethod
    public long touch() {
        return ++touches;
    }
}
