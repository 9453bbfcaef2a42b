package org.safethread;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thrown to the one thread chosen to break a deadlock between monitors, from the monitor entry it
 * was waiting on, and at once when a thread re-enters a monitor that it holds further out on its
 * own stack (A &rarr; B &rarr; A), or when a {@link Monitor#await} condition would wait to enter
 * a monitor held by a thread waiting on a condition of the monitor being evaluated (thrown from
 * the {@code await} of the condition's waiter).
 *
 * <p>The thrown-to thread never entered the monitor it was waiting for, so that monitor's state
 * is untouched; its outer monitor calls unwind normally as the exception propagates, releasing
 * their monitors so that the other threads of the cycle proceed. Catching the exception at a
 * point that holds no monitor and retrying the whole operation is the usual response.
 *
 * <p>The message names every thread and monitor in the cycle; {@link #cycle()} gives the same as
 * data.
 */
public class DeadlockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * One edge of a wait-for cycle: a thread that holds a monitor and waits to enter another.
     *
     * @param threadName the thread's name
     * @param threadId the thread's id ({@link Thread#getId()})
     * @param holds the monitor the previous thread of the cycle waits for, held by this thread
     * @param waitsFor the monitor this thread waits to enter
     */
    public record Link(String threadName, long threadId, String holds, String waitsFor) {
        /**
         * Validates the components.
         *
         * @param threadName the thread's name; not null
         * @param threadId the thread's id
         * @param holds the monitor held; not null
         * @param waitsFor the monitor waited for; not null
         * @throws NullPointerException if a name is null
         */
        public Link {
            Objects.requireNonNull(threadName, "DeadlockException.Link: threadName is null");
            Objects.requireNonNull(holds, "DeadlockException.Link: holds is null");
            Objects.requireNonNull(waitsFor, "DeadlockException.Link: waitsFor is null");
        }
    }

    /** The cycle, victim first; never null. */
    private final List<Link> cycle;

    /**
     * Creates the exception.
     *
     * @param message names the threads and monitors of the cycle (or null, as for any exception)
     * @param cycle the cycle, starting with the thread the exception is thrown to
     * @throws NullPointerException if {@code cycle} or one of its links is null
     */
    public DeadlockException(@Nullable String message, List<Link> cycle) {
        // checked and copied before the exception object is constructed
        this(List.copyOf(Objects.requireNonNull(cycle, "DeadlockException: cycle is null")), message);
    }

    private DeadlockException(List<Link> cycle, @Nullable String message) {
        super(message);
        this.cycle = List.copyOf(cycle); // already an immutable copy: returns it as it is
    }

    /**
     * The wait-for cycle that this exception broke, starting with the thread it was thrown to.
     * For a re-entry of an outer monitor it has one link, whose thread holds and waits for the
     * same monitor.
     *
     * @return an immutable list of the cycle's links
     */
    public List<Link> cycle() {
        return cycle;
    }
}
