package org.safethread.stress.support;

import java.util.function.BooleanSupplier;

/**
 * Bounded busy-waits for the few tests whose actors must meet (jcstress runs the actors of one
 * state at roughly the same time, but a partner can be late by a scheduling quantum, so every
 * wait has a deadline and its expiry is an outcome, never a hang).
 */
public final class Spin {
    /** Deadline for a partner actor to reach a meeting point. */
    public static final long PARTNER_NANOS = 2_000_000_000L;

    private Spin() {
    }

    /**
     * Spins (then yields: the machine may have as few CPUs as actors) until {@code cond} holds.
     *
     * @return whether it held before the deadline
     */
    public static boolean until(BooleanSupplier cond, long timeoutNanos) {
        if (cond.getAsBoolean()) {
            return true;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        for (int i = 1;; i++) {
            if (cond.getAsBoolean()) {
                return true;
            }
            if ((i & 63) == 0 && System.nanoTime() - deadline > 0) {
                return cond.getAsBoolean();
            }
            if (i < 512) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }
}
