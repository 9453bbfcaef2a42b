package org.safethread.stress.lincheck;

import java.time.Duration;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * A bounded FIFO queue of ints whose every method is a {@link MonitorMethod}: wrapped with
 * {@link Monitor#of(Object)} it is the classic monitor-with-conditions example ("not full" and
 * "not empty" as {@link Monitor#await} predicates). The waiting operations take a bounded wait
 * (Lincheck cannot drive an operation that blocks forever: a scenario whose taker has no
 * matching put would be reported as a deadlock), so each is linearizable at the moment its
 * condition was last evaluated inside the monitor.
 */
public class BoundedQueue {
    private final int[] items;
    private int head;
    private int size;

    /** @param capacity how many items fit */
    public BoundedQueue(int capacity) {
        this.items = new int[capacity];
    }

    /** Adds {@code v} if there is room now. @return whether it was added */
    @MonitorMethod
    public boolean offer(int v) {
        if (size == items.length) {
            return false;
        }
        items[(head + size++) % items.length] = v;
        return true;
    }

    /** Removes the oldest item if there is one now. @return it, or null */
    @MonitorMethod
    public Integer poll() {
        if (size == 0) {
            return null;
        }
        int v = items[head];
        head = (head + 1) % items.length;
        size--;
        return v;
    }

    /**
     * Waits up to {@code wait} for room (the monitor is released meanwhile), then adds.
     *
     * @return false if there was still no room when the wait ended
     */
    @MonitorMethod
    public boolean put(int v, Duration wait) throws InterruptedException {
        if (!Monitor.await(() -> size < items.length, wait)) {
            return false;
        }
        return offer(v);   // direct re-entry of the innermost monitor
    }

    /** Waits up to {@code wait} for an item, then removes it. @return it, or null if none came */
    @MonitorMethod
    public Integer take(Duration wait) throws InterruptedException {
        if (!Monitor.await(() -> size > 0, wait)) {
            return null;
        }
        return poll();
    }

    /** Waits (untimed) for room, then adds {@code v}. */
    @MonitorMethod
    public void putWaiting(int v) throws InterruptedException {
        Monitor.await(() -> size < items.length);
        offer(v);
    }

    /** Waits (untimed) for an item, then removes it. @return the item */
    @MonitorMethod
    public int takeWaiting() throws InterruptedException {
        Monitor.await(() -> size > 0);
        return poll();
    }

    /** @return the number of items */
    @MonitorMethod
    public int size() {
        return size;
    }
}
