package org.safethread.internal.branch;

import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.safethread.CancelledException;
import org.safethread.UnshareableException;
import org.safethread.internal.runtime.CancelScope;
import org.safethread.internal.share.ShareRules;

/**
 * One child of a branch: the task, its thread, and its outcome.
 *
 * <h2>Implementation notes</h2>
 * <p>States go {@code RUNNING -> SUCCEEDED | FAILED | CANCELLED} once (a child forked on a
 * cancelled branch, or whose thread could not start, is born ended; the public {@code Branch.Child} wraps it). {@code result} and
 * {@code failure} are plain fields written by the child's thread before its volatile write of
 * {@code state}; a reader that sees the final state sees them (JLS 17.4.5). A child's thread
 * gets a runtime thread state only if its task uses the runtime (the join's blockers look it up
 * by thread).
 *
 * <p>Classification of an ending: a task that threw, while its branch is cancelled, something
 * that is (or is caused by) a cancellation signal — {@link CancelledException},
 * {@link InterruptedException}, {@link InterruptedIOException},
 * {@link ClosedByInterruptException} — ends CANCELLED; any other throwable ends FAILED, even in a
 * cancelled branch (a real error is never hidden by a cancellation). A task that returned ends
 * SUCCEEDED when its result is shareable, else FAILED with {@link UnshareableException}.
 */
public final class ChildRun<T> implements Runnable {
    /** A child's life, as {@code Branch.Child.State} (same names, same order). */
    public enum State { RUNNING, SUCCEEDED, FAILED, CANCELLED }

    /** How far down a cause chain a cancellation signal is looked for: wrappers rarely nest deeper. */
    private static final int MAX_CAUSE_DEPTH = 16;

    final BranchCore branch;
    /** 1-based, in fork order. */
    final int index;
    private final Callable<? extends T> task;
    /** The child's thread; null when it never had one. Written by the owner before start(). */
    Thread thread;

    /**
     * Set by the owner just before it starts {@link #thread}; {@link #run} takes it (a CAS), so
     * the task runs at most once and only on the thread the branch started. A run the branch did
     * not launch — a thread that a user's {@code ThreadFactory} started itself, or a second call
     * of {@code run} — does nothing: it must not end the child a second time.
     */
    private final AtomicBoolean launch = new AtomicBoolean();

    private volatile State state = State.RUNNING;
    private T result;
    private Throwable failure;

    ChildRun(BranchCore branch, int index, Callable<? extends T> task) {
        this.branch = branch;
        this.index = index;
        this.task = task;
    }

    /** The owner, just before {@code thread.start()}: allows one run. */
    void launching() {
        launch.set(true); // pairs with run()'s compareAndSet (Thread.start also orders it)
    }

    @Override
    public void run() {
        if (!launch.compareAndSet(true, false)) {
            return; // not launched by the branch (see launch): the child is ended by whoever owns it
        }
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

    /** Interrupts this child's thread if the child is still running; @return whether it was. */
    boolean interruptIfRunning() {
        Thread t = thread;
        if (state != State.RUNNING || t == null) {
            return false;
        }
        t.interrupt();
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
