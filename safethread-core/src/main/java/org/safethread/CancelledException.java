package org.safethread;

import org.jspecify.annotations.Nullable;

/**
 * Thrown by a safethread blocking point ({@link Monitor#await}, {@link DeathQueue#take},
 * {@link DeathQueue#poll(java.time.Duration)}, {@link Branch#join()} of a nested branch,
 * {@link SafeThread#checkpoint()}) reached by a child thread whose {@link Branch} is cancelled.
 *
 * <p>Cancellation is level-triggered: while the branch is cancelled, every such point throws it
 * again, each time it is reached; catching it does not un-cancel anything. Let it propagate out
 * of the child's task: a child that ends by it (or by an {@link InterruptedException} caused by
 * the cancellation) ends {@link Branch.Child.State#CANCELLED}, which is not a failure.
 */
public class CancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates one with a default message. */
    public CancelledException() {
        super("the branch of this thread is cancelled");
    }

    /**
     * @param message what was cancelled and where it was noticed (or null, as for any exception)
     */
    public CancelledException(@Nullable String message) {
        super(message);
    }
}
