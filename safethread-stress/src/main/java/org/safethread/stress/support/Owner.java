package org.safethread.stress.support;

import org.safethread.SafeThread;

/**
 * Remembers the thread that built a jcstress state, which owns every counted object the state
 * constructor created.
 *
 * <p>Which thread that is (jcstress 0.16, see the generated {@code *_jcstress} runners in
 * {@code target/generated-sources/annotations}):
 * <ul>
 *   <li>Sanity and resource-estimation passes: the harness thread builds the states, the actors
 *       run on fresh threads that end, and the arbiter runs on the harness thread — the owner.</li>
 *   <li>The first generation of states of each measured iteration: built by the harness thread
 *       before the actors start; that thread then sleeps outside the runtime until the iteration
 *       ends, so merges owed to it wait until it next calls into the runtime (building the next
 *       iteration's states: a constructor is a runtime call), and the arbiter (on an actor
 *       thread) cannot force them.</li>
 *   <li>Every later generation: rebuilt by the actor threads in the consume phase, the thread of
 *       actor k rebuilding the k-th share of the state array right after running the arbiter for
 *       that share. So the owner is actor 1 for the first half of the states and actor 2 for the
 *       second, and the arbiter runs on the owner.</li>
 * </ul>
 * Tests record which case they ran in as the outcome's "role" (0 = the harness thread, 1 =
 * actor 1, 2 = actor 2) so that every case is visible in the report. Note also that jcstress
 * builds all states of a generation before the actors touch any of them.
 */
public final class Owner {
    private final Thread thread = Thread.currentThread();

    /** @return whether the calling thread built the state (owns its objects) */
    public boolean isCurrent() {
        return thread == Thread.currentThread();
    }

    /**
     * On the owner: a safe point, so that references other threads released on the owner's
     * behalf are merged now (objects whose count reached zero die here). Elsewhere: nothing.
     */
    public void pollIfCurrent() {
        if (isCurrent()) {
            SafeThread.poll();
        }
    }
}
