package org.safethread.internal.branch;

import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.Callable;
import org.safethread.CancelledException;
import org.safethread.UnshareableException;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.runtime.CancelScope;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.safethread.internal.share.ShareRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One child of a branch: the task, its thread, and its outcome.
 *
 * <h2>Implementation notes</h2>
 * <p>States go {@code RUNNING -> SUCCEEDED | FAILED | CANCELLED} once (a child forked on a
 * cancelled branch, or whose thread could not start, is born ended; the public {@code Branch.Child} wraps it). {@code result} and
 * {@code failure} are plain fields written by the child's thread before its volatile write of
 * {@code state}; a reader that sees the final state sees them (JLS 17.4.5). A child's thread
 * gets a runtime thread state when it takes its launch (the join's blockers look it up by
 * thread): from then until its child has ended, it is in a blocker role of the wait-for graph, so
 * a monitor wait of its closes a cycle through its owner's join at once. Before it takes its
 * launch (a factory's thread that runs something of its own first) it is in no role, and a cycle
 * that it closes then is found by the join's re-check (every 1-100 ms while a launch is pending),
 * which walks the graph again.
 *
 * <p>Classification of an ending: a task that threw, while its branch is cancelled, something
 * that is (or is caused by) a cancellation signal — {@link CancelledException},
 * {@link InterruptedException}, {@link InterruptedIOException},
 * {@link ClosedByInterruptException} — ends CANCELLED; any other throwable ends FAILED, even in a
 * cancelled branch (a real error is never hidden by a cancellation). A task that returned ends
 * SUCCEEDED when its result is shareable, else FAILED with {@link UnshareableException}.
 *
 * <p><b>The launch</b> (who may run the task). {@code launch} goes {@code null -> t} (the owner,
 * just before it starts the thread {@code t} it got from the factory) {@code -> TAKEN} (by
 * {@code t} itself, first thing in {@link #run}) or {@code -> ABANDONED} (by the owner, once
 * {@code t} has terminated without taking it), each by a CAS, once. So the task runs at most
 * once, and only on the thread the branch started: a run on any other thread (one the factory
 * handed the runnable to, or that it started itself before the branch launched it), or a
 * second run, finds {@code launch} not equal to itself and does nothing. Exactly one of the two
 * ends the child: the thread that took the launch (after its task), or the owner that claimed
 * it abandoned (FAILED with an {@code IllegalStateException} naming the thread).
 *
 * <p><i>Why a thread that ran the task is never called abandoned</i> ({@link #claimAbandoned}):
 * the owner reads {@code t.isAlive()} first and the launch after. {@code isAlive() == false},
 * read after {@code t.start()} returned, means {@code t} has terminated, and the final action of
 * a thread synchronizes-with any action of another thread that detects its termination (JLS
 * 17.4.4): {@code t}'s CAS to {@code TAKEN}, if it made it, happens-before the owner's read of
 * {@code launch}. Still {@code t} there means {@code t} never took it, and nobody else can now
 * ({@code t} is the only thread whose CAS can take it, and it has ended). The opposite order
 * (launch, then isAlive) would be wrong: {@code t} could take the launch, run and end between
 * the two reads. A thread that is alive and never runs its task (it blocks for ever doing
 * something else) cannot be told from a slow one, and is not detected.
 */
public final class ChildRun<T> implements Runnable {
    /** A child's life, as {@code Branch.Child.State} (same names, same order). */
    public enum State { RUNNING, SUCCEEDED, FAILED, CANCELLED }

    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.BRANCH);
    /** How far down a cause chain a cancellation signal is looked for: wrappers rarely nest deeper. */
    private static final int MAX_CAUSE_DEPTH = 16;

    final BranchCore branch;
    /** 1-based, in fork order. */
    final int index;
    private final Callable<? extends T> task;
    /** The child's thread; null when it never had one. Written by the owner before start(). */
    Thread thread;

    /** {@code launch} once the launched thread took it (see the notes). */
    private static final Object TAKEN = new Object();
    /** {@code launch} once the owner found the launched thread ended without taking it. */
    private static final Object ABANDONED = new Object();
    private static final VarHandle LAUNCH;

    static {
        try {
            LAUNCH = MethodHandles.lookup().findVarHandle(ChildRun.class, "launch", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * null, then the launched thread (set by the owner just before it starts it), then
     * {@link #TAKEN} or {@link #ABANDONED} (see the notes). Through {@link #LAUNCH}.
     */
    @SuppressWarnings("unused")
    private volatile Object launch;

    private volatile State state = State.RUNNING;
    /** Whether a throwing {@code Thread.interrupt()} of this child's thread was logged (see {@link #interruptIfRunning}). */
    private volatile boolean interruptFailureLogged;
    private T result;
    private Throwable failure;

    ChildRun(BranchCore branch, int index, Callable<? extends T> task) {
        this.branch = branch;
        this.index = index;
        this.task = task;
    }

    /** The owner, just before {@code t.start()}: allows one run, on {@code t}. */
    void launching(Thread t) {
        setLaunchVolatile(t); // pairs with run()'s CAS (Thread.start also orders it)
    }

    /**
     * The owner, when {@code t.start()} threw: takes the launch back unless {@code t} took it
     * (a thread someone else started after all).
     *
     * @return true if the launch was taken back: the task will never run
     */
    boolean revokeLaunch(Thread t) {
        return casLaunch(t, ABANDONED);
    }

    /**
     * The owner, after {@code thread.start()} returned: claims the launch if the thread ended
     * without taking it. Reads {@code isAlive} first, then the launch (see the notes: this order
     * is what makes it sound). Runs no user code ({@code Thread.isAlive} is final).
     *
     * @return true if the thread ended without running the task and the owner now owns the
     *     child's ending (it must end it); false if the thread took it or may still take it
     */
    boolean claimAbandoned() {
        Thread t = thread;
        if (t == null || getLaunchVolatile() != t || t.isAlive()) {
            return false; // (the first look at the launch is only a filter: the CAS decides)
        }
        // t has terminated: its CAS to TAKEN, if any, happens-before this one (JLS 17.4.4)
        return casLaunch(t, ABANDONED);
    }

    /** @return whether this child's thread was launched and has not taken its launch (yet): it may start, or be abandoned */
    boolean launchPending() {
        Thread t = thread;
        return t != null && getLaunchVolatile() == t;
    }

    private Object getLaunchVolatile() {
        return LAUNCH.getVolatile(this);
    }

    private void setLaunchVolatile(Object v) {
        LAUNCH.setVolatile(this, v);
    }

    private boolean casLaunch(Object expected, Object v) {
        return LAUNCH.compareAndSet(this, expected, v);
    }

    @Override
    public void run() {
        // Only the thread the branch launched takes the launch, once (see the notes); any other
        // run does nothing: the child is ended by whoever owns it. Pairs with claimAbandoned.
        if (!casLaunch(Thread.currentThread(), TAKEN)) {
            return;
        }
        // While RUNNING, the owner's join reports this thread as a blocker: in a blocker role, its
        // monitor waits register fully and walk (see WaitForGraph), until after end() below.
        ThreadState ts = ThreadState.current();
        WaitForGraph.enterBlockerRole(ts);
        try {
            runTask();
        } finally {
            WaitForGraph.exitBlockerRole(ts);
        }
    }

    /** The task on the thread that took the launch, and the child's ending. */
    private void runTask() {
        CancelScope saved = CancelScope.current();
        CancelScope.set(branch);
        T value = null;
        Throwable thrown = null;
        boolean ran = false;
        try {
            if (!branch.isCancelled()) {
                ran = true;
                value = task.call();
            }
        } catch (Throwable t) {
            thrown = t;
        } finally {
            CancelScope.set(saved);
        }
        Throwable leftOpen = closeLeftOpen();
        if (leftOpen != null) {
            if (thrown == null) {
                thrown = leftOpen; // a task that returned but left a branch open failed
                value = null;
            } else {
                addSuppressedSafely(thrown, leftOpen);
            }
        }
        State end;
        try {
            if (!ran) {
                end = State.CANCELLED;
            } else if (thrown != null) {
                end = branch.isCancelled() && isCancellation(thrown) ? State.CANCELLED : State.FAILED;
            } else {
                String why = ShareRules.shareableAtOneLevel(value) ? null : ShareRules.whyNot(value);
                if (why != null) {
                    thrown = new UnshareableException("Branch.fork: the result of " + this + " ("
                            + value.getClass().getName() + ") is not shareable: " + why
                            + "; return an immutable value or a monitor");
                    value = null;
                    end = State.FAILED;
                } else {
                    end = State.SUCCEEDED;
                }
            }
        } catch (Throwable classifying) {
            // Classifying reads the user's objects (a cause chain, a result's fields): whatever
            // goes wrong there (a getCause() that throws, a StackOverflowError) must still end the
            // child, or its owner's join would wait for it forever. The task's own throwable, if
            // any, is the failure; the classification's is attached to it.
            if (thrown != null && thrown != classifying) {
                addSuppressedSafely(thrown, classifying);
            } else {
                thrown = classifying;
            }
            value = null;
            end = State.FAILED;
        }
        end(end, value, end == State.FAILED ? thrown : null);
    }

    /** {@link BranchCore#closeLeftOpen}, contained: whatever it throws is the failure to report. */
    private Throwable closeLeftOpen() {
        try {
            return branch.closeLeftOpen(this);
        } catch (Throwable e) {
            return e;
        }
    }

    /** {@code addSuppressed}, which a user exception may refuse (suppression disabled, or an override): best effort. */
    private static void addSuppressedSafely(Throwable to, Throwable suppressed) {
        try {
            to.addSuppressed(suppressed);
        } catch (Throwable refused) {
            // the failure is still reported; only this detail is lost
        }
    }

    /** Records the outcome (the child's thread, or the owner for a child that never ran). */
    void end(State end, T value, Throwable failed) {
        result = value;
        failure = failed;
        state = end; // publishes result and failure
        branch.childEnded(this, end, failed);
    }

    /**
     * @return whether {@code t} is, or is caused by, a cancellation signal; {@code false} when its
     *     cause chain cannot be read ({@code getCause} is user code and may throw)
     */
    static boolean isCancellation(Throwable t) {
        try {
            for (int i = 0; t != null && i < MAX_CAUSE_DEPTH; i++, t = t.getCause()) {
                if (t instanceof CancelledException || t instanceof InterruptedException
                        || t instanceof InterruptedIOException || t instanceof ClosedByInterruptException) {
                    return true;
                }
            }
        } catch (RuntimeException | StackOverflowError unreadable) {
            // an unreadable chain is not a cancellation: the child is FAILED with its throwable
        }
        return false;
    }

    /**
     * Interrupts this child's thread if the child is still running; @return whether it was.
     * Never throws: {@code Thread.interrupt()} is user code when a {@code ThreadFactory} returned
     * a subclass that overrides it (JCiP's socket-closing {@code interrupt}, say), and its
     * callers must go on: a cancel interrupts the other children and cancels the nested
     * branches after this one, a failing child's {@code childEnded} still counts it ended (else
     * the owner's join would wait for ever), and the canceller's loop serves other branches.
     * What it throws is logged once per child (the canceller calls this every 100 ms).
     */
    boolean interruptIfRunning() {
        Thread t = thread;
        if (state != State.RUNNING || t == null) {
            return false;
        }
        try {
            t.interrupt();
        } catch (Throwable refused) {
            if (!interruptFailureLogged) {
                interruptFailureLogged = true; // racy (owner, a sibling, the canceller): at worst logged twice
                LOG.warn("safethread: interrupting the thread of {} (a {}, made by the branch's ThreadFactory) "
                        + "threw; the cancellation stands (safethread's blocking points still throw "
                        + "CancelledException in it), but JDK blocking calls in it are not woken", this,
                        t.getClass().getName(), refused);
            }
        }
        return true;
    }

    /** @return the state now (volatile) */
    public State state() {
        return state;
    }

    /** @return the result once SUCCEEDED; else IllegalStateException */
    public T get() {
        State s = state;
        if (s != State.SUCCEEDED) {
            throw new IllegalStateException("Branch.Child.get: " + this + " is " + s + "; get() is for a SUCCEEDED "
                    + "child (join the branch first; a FAILED child's failure() says why)");
        }
        return result;
    }

    /** @return the failure once FAILED, else null */
    public Throwable failure() {
        return state == State.FAILED ? failure : null;
    }

    @Override
    public String toString() {
        return "child " + index + " of " + branch.scopeName();
    }
}
