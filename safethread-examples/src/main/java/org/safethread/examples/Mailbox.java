package org.safethread.examples;

import java.time.Duration;
import java.util.ArrayDeque;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * A bounded hand-off queue as a safethread monitor: create it with
 * {@code Monitor.of(new Mailbox<>(capacity))}. Items must be shareable (the monitor checks every
 * one that goes in or comes out).
 *
 * <p>Waiting uses {@link Monitor#await(java.util.function.BooleanSupplier, Duration)} conditions:
 * a waiting thread is parked inside the safethread runtime, so the runtime can merge counts and
 * run collections on its behalf, which a thread waiting in a {@code java.util.concurrent} queue
 * (outside the runtime) would hold up.
 *
 * @param <T> the item type
 */
public class Mailbox<T> {
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private final int capacity;

    /** @param capacity how many items it holds at most */
    public Mailbox(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Adds {@code item}, waiting up to {@code timeout} for room.
     *
     * @return false if there was no room in time (the item was not added)
     */
    @MonitorMethod
    public boolean offer(T item, Duration timeout) throws InterruptedException {
        if (item == null) {
            throw new IllegalArgumentException("Mailbox.offer: null item");
        }
        if (!Monitor.await(() -> items.size() < capacity, timeout)) {
            return false;
        }
        items.addLast(item);
        return true;
    }

    /** @return the oldest item, waiting up to {@code timeout}; null if none came */
    @MonitorMethod
    public T poll(Duration timeout) throws InterruptedException {
        if (!Monitor.await(() -> !items.isEmpty(), timeout)) {
            return null;
        }
        return items.pollFirst();
    }

    /** @return the oldest item, or null if empty now */
    @MonitorMethod
    public T poll() {
        return items.pollFirst();
    }
}
