package org.safethread.stress.support;

import java.util.function.Supplier;

/**
 * A source of counted objects whose owner thread has already ended: a short-lived factory thread
 * creates a batch and terminates, and the batch is handed out one object per jcstress state.
 *
 * <p>Why: jcstress 0.16 cannot schedule more actors than CPUs, so a "third thread" cannot be an
 * actor on a 2-CPU machine. An ended owner is the third party instead: its plain counts can only
 * be folded in by a thread that holds it ({@code ThreadState.tryHold} succeeds once
 * {@code Thread.isAlive()} is false) — the releasing actor itself, the other actor, or the
 * housekeeper — so the owner's count is merged concurrently with the actors' own cell and
 * shared-word traffic.
 *
 * @param <T> the object type
 */
public final class EndedOwner<T> {
    private static final int BATCH = 1024;

    private final Supplier<T> factory;
    private Object[] batch = new Object[0];
    private int next;

    /** @param factory runs on the factory thread; makes one object (with the counts it needs) */
    public EndedOwner(Supplier<T> factory) {
        this.factory = factory;
    }

    /** @return an object owned by a thread that has ended */
    @SuppressWarnings("unchecked")
    public synchronized T take() {
        if (next == batch.length) {
            refill();
        }
        T t = (T) batch[next];
        batch[next++] = null;
        return t;
    }

    private void refill() {
        Object[] fresh = new Object[BATCH];
        Thread t = new Thread(() -> {
            for (int i = 0; i < fresh.length; i++) {
                fresh[i] = factory.get();
            }
        }, "safethread-stress-ended-owner");
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        for (;;) {
            try {
                t.join(); // happens-before: we see the batch; and the owner has ended
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        batch = fresh;
        next = 0;
    }
}
