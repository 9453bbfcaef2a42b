package org.safethread.internal.deadlock;

import java.util.List;
import org.safethread.internal.runtime.ThreadState;

/**
 * Something a thread can wait for as a node of the wait-for graph: a monitor entry, a branch
 * join, a {@code SharedMap} key that another thread is computing. The graph itself knows only
 * this interface; each kind of wait says whom it waits on.
 *
 * <p>Every method is called under the graph lock (see {@link WaitForGraph}) and must not block
 * or call user code.
 *
 * <p><b>Blocker roles.</b> A thread that {@link #blockers} may report for any reason other than
 * holding a monitor (a branch's running child, the thread computing a map key) must be in a
 * blocker role ({@link WaitForGraph#enterBlockerRole}) for as long as it may be reported, entered
 * before any other thread can see it in that part: its monitor waits then register fully and walk.
 * A thread outside every role and holding no monitor registers its monitor waits lightly and does
 * not walk, so a cycle that it would close is found only by a later walk (a waitable whose
 * blockers may lie outside their role, such as a branch whose child's thread has not reached its
 * task, must wait with a re-check, which walks again).
 */
public interface Waitable {

    /**
     * Adds to {@code out} every thread that {@code waiter}'s wait on this waitable depends on now.
     * A monitor: its holder. A branch join: every child that has not ended. A pending map key: the
     * thread computing it.
     *
     * <p>Read racily with respect to the waitable's own state, but it must never report a thread
     * that the wait does not depend on once that thread is registered as waiting in the graph
     * (a registered thread is parked and cannot change what it holds; see the "no false
     * positives" argument in {@link WaitForGraph}). A monitor leaves out its holder when the holder
     * is {@code waiter} itself: the waiter has just acquired it and its registration is stale.
     *
     * @param waiter the registered thread whose edges the detector follows
     * @param out where to add the blockers
     */
    void blockers(ThreadState waiter, List<ThreadState> out);

    /**
     * The last re-try before a cycle through {@code waiter}'s wait is declared: for a monitor, one
     * more acquisition attempt. Must not block.
     *
     * @return true if the wait is over after all (no deadlock)
     */
    boolean retry(ThreadState waiter);

    /**
     * @return whether the blockers this waitable reports are threads that hold it (a monitor: its
     *     holder, read racily). The walk then does not follow such an edge into a thread that waits
     *     with a light registration: that thread holds nothing, so the holder was read stale (see
     *     {@link WaitForGraph}'s notes)
     */
    default boolean blockersHold() {
        return false;
    }

    /** @return the name used in deadlock messages, e.g. {@code Account#3 in space bank} */
    String waitableName();

    /** @return how messages link this waitable to a blocker: "held by" for a monitor */
    default String blockerPhrase() {
        return "held by";
    }

    /**
     * @return how messages say what a blocker of this waitable has to do with it, after the
     *     blocker's name: "holds Account#3" for a monitor; "is a child of branch#2 (…)" for a
     *     join, whose blockers hold nothing
     */
    default String blockerRole() {
        return "holds " + waitableName();
    }

    /** @return what a victim of this kind of wait is told, after "Victim: name (" */
    default String refusalNote() {
        return "its wait for " + waitableName() + " is refused and changed nothing; retry the operation";
    }
}
