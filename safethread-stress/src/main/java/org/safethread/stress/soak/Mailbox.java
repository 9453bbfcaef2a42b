package org.safethread.stress.soak;

import java.time.Duration;
import java.util.ArrayDeque;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/** A bounded hand-off queue monitor; an item's counted reference moves with it. */
public class Mailbox<T> {
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private final int capacity;

    /** @param capacity items held at most */
    public Mailbox(int capacity) {
        this.capacity = capacity;
    }

    /** @return false if there was no room within {@code wait} */
    @MonitorMethod
    public boolean offer(T item, Duration wait) throws InterruptedException {
        if (!Monitor.await(() -> items.size() < capacity, wait)) {
            return false;
        }
        items.addLast(item);
        return true;
    }

    /** @return the oldest item, or null if none came within {@code wait} */
    @MonitorMethod
    public T poll(Duration wait) throws InterruptedException {
        if (!Monitor.await(() -> !items.isEmpty(), wait)) {
            return null;
        }
        return items.pollFirst();
    }

    /** @return the oldest item, or null (no waiting) */
    @MonitorMethod
    public T poll() {
        return items.pollFirst();
    }
}
