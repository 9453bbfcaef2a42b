package org.safethread;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import org.safethread.internal.branch.BranchCore;
import org.safethread.internal.branch.ChildRun;
import org.jspecify.annotations.Nullable;

/**
 * Structured threads (python-safethread's {@code branch}): a block that starts child threads,
 * checks what crosses into and out of them, cancels the rest at the first failure, and waits for
 * all of them with a deadlock-aware wait.
 *
 * <pre>{@code
 * try (Branch b = Branch.open()) {
 *     Branch.Child<Integer> x = b.fork(() -> compute(1));
 *     Branch.Child<Integer> y = b.fork(() -> compute(2));
 *     b.join();                       // waits for both; rethrows a failure
 *     return x.get() + y.get();
 * }
 * }</pre>
 *
 * <ul>
 *   <li><b>Owner.</b> The thread that called {@link #open()} owns the branch: only it may
 *       {@link #fork}, {@link #join()} and {@link #close()} (others get
 *       {@link IllegalStateException}). A Branch is not shareable: it cannot be passed into a
 *       monitor or captured by a child's task.</li>
 *   <li><b>The wall.</b> A task must be shareable (a lambda: everything it captures); this is
 *       checked before any thread starts ({@link UnshareableException} naming
 *       {@code Branch.fork}). A child's result must be shareable, else the child fails with
 *       {@link UnshareableException}.</li>
 *   <li><b>Fail fast.</b> The first child to fail cancels the branch, hence its siblings.</li>
 *   <li><b>Cancellation</b> ({@link #cancel()}, a failure, an interrupted join, a cancelled
 *       parent) interrupts the running children (again every 100 ms while they run, for a child
 *       that cleared its interrupt), and from then on every safethread blocking point a child
 *       reaches throws {@link CancelledException}, each time. Nested branches opened by children
 *       are cancelled with it. Monitor entry is not cancellable.</li>
 *   <li><b>Pinned monitors.</b> A branch opened inside monitor M pins M: until the branch is
 *       joined or closed, its owner may not {@link Monitor#await} or {@link Monitor#leave} on M
 *       ({@link IllegalStateException}), and {@code join} and {@code close} must be called in the
 *       monitor context where the branch was opened, or outside every monitor. This keeps every
 *       deadlock through a join breakable.</li>
 * </ul>
 *
 * <p>Memory consistency effects: actions of the owner before {@code fork} happen-before the
 * child's task; everything a child did happens-before {@code join} or {@code close} returns or
 * throws (its thread has terminated by then).
 */
public final class Branch implements AutoCloseable {
    private final BranchCore core;

    private Branch(BranchCore core) {
        this.core = core;
    }

    /**
     * Opens a branch owned by the calling thread, whose children run on new platform threads
     * named {@code branch#N-child-K}. Opened inside a monitor, it pins that monitor until it ends.
     * Opened by a child of a cancelled branch, it starts cancelled.
     *
     * @return the branch; use it in try-with-resources
     */
    public static Branch open() {
        return new Branch(BranchCore.open(null));
    }

    /**
     * Opens a branch whose children run on threads made by {@code threads} (for example
     * {@code Thread.ofVirtual().factory()} on JDK 21+). The factory must return a new, unstarted
     * thread that runs the given {@code Runnable} itself, once. What the branch checks: a thread
     * already started is refused (the child FAILED, {@link IllegalThreadStateException}); the
     * {@code Runnable} does nothing when run on any other thread, or a second time; a thread that
     * ends without running it (the factory ignored it, ran something else, handed it to another
     * thread, or the thread failed first) makes the child FAILED with
     * {@link IllegalStateException}, found by {@code join} or {@code close} within about 100 ms
     * of that thread's end. A thread that stays alive and never runs it cannot be told from a
     * slow one: {@code join} waits for it. A thread class that overrides {@code interrupt()}
     * runs that override when the branch is cancelled; if it throws, the throwable is logged
     * (SLF4J WARN, once per child) and the cancellation goes on: the other children are still
     * interrupted, and safethread's blocking points still throw {@link CancelledException} in
     * that child (a JDK call it blocks in wakes only if the override did interrupt).
     *
     * @param threads the thread factory
     * @return the branch
     * @throws NullPointerException if {@code threads} is null
     */
    public static Branch open(ThreadFactory threads) {
        Objects.requireNonNull(threads, "Branch.open: threads (the ThreadFactory) is null");
        return new Branch(BranchCore.open(threads));
    }

    /**
     * Starts a child running {@code task}.
     *
     * @param task the child's work; must be shareable (checked before any thread starts)
     * @param <T> its result type
     * @return the child; its {@link Child#get()} is the result once the child SUCCEEDED. On a
     *     cancelled branch: a CANCELLED child, and no thread is started
     * @throws UnshareableException if {@code task} (or anything it captures) is not shareable
     * @throws IllegalStateException if the caller is not the owner, or the branch was joined or closed
     * @throws NullPointerException if {@code task} is null
     */
    public <T> Child<T> fork(Callable<? extends T> task) {
        Objects.requireNonNull(task, "Branch.fork: task is null");
        return new Handle<>(core.fork(task, task));
    }

    /**
     * Starts a child running {@code task}; as {@link #fork(Callable)} with a null result.
     *
     * @param task the child's work; must be shareable
     * @return the child
     * @throws UnshareableException if {@code task} is not shareable
     * @throws IllegalStateException if the caller is not the owner, or the branch was joined or closed
     * @throws NullPointerException if {@code task} is null
     */
    public Child<Void> fork(Runnable task) {
        Objects.requireNonNull(task, "Branch.fork: task is null");
        return new Handle<>(core.fork(() -> {
            task.run();
            return null;
        }, task));
    }

    /**
     * Waits until every child has ended, then reports: no failure, returns (also when the branch
     * was cancelled); exactly one failure, rethrows that very object when it is unchecked, or
     * throws {@link BranchException} with it as the cause when it is checked; two or more, throws
     * {@link BranchException} listing them in fork order. A {@link VirtualMachineError} wins over
     * everything. Cancelled children are not failures. The wait is part of the wait-for graph: a
     * deadlock through it (the owner holds a monitor a child needs) is broken by refusing a
     * monitor entry, whose {@link DeadlockException} becomes that child's failure.
     *
     * @throws InterruptedException if the owner was interrupted before or while joining: the
     *     branch was then cancelled and every child has ended (the interrupt status is clear, and
     *     the children's failures are attached as suppressed)
     * @throws CancelledException if the owner is itself a child of a cancelled branch (after
     *     every child of this one has ended)
     * @throws IllegalStateException if the caller is not the owner, the branch was already joined
     *     or closed, or the owner is neither in the monitor context it opened the branch in nor
     *     outside every monitor (the branch is then left as it was)
     */
    public void join() throws InterruptedException {
        core.join();
    }

    /**
     * Cancels the branch: its running children are interrupted and their safethread blocking
     * points throw {@link CancelledException} from now on; later forks start nothing. Any thread
     * may call it; it has no effect on a cancelled branch.
     */
    public void cancel() {
        core.cancel();
    }

    /** @return whether the branch was cancelled (by {@link #cancel()}, a failure, an interrupted join or a cancelled parent) */
    public boolean isCancelled() {
        return core.isCancelled();
    }

    /**
     * Ends the branch. After a completed {@link #join()} it does nothing. Otherwise (the body threw
     * or returned early) it cancels the branch, waits for every child (uninterruptibly: an
     * interrupt is kept in the status) and throws {@link IllegalStateException}, with the
     * children's failures attached as suppressed; try-with-resources attaches it as suppressed to
     * the body's exception.
     *
     * <p>Like {@code join}, the wait must happen in the monitor context where the branch was
     * opened, or outside every monitor: waiting for children while holding a monitor entered
     * since could make a deadlock that cannot be broken. Called anywhere else, {@code close}
     * cancels the branch and throws {@link IllegalStateException} without waiting; the branch
     * stays open, so a {@code join} or {@code close} where it was opened still waits for the
     * children. Try-with-resources always closes where the branch was opened.
     *
     * @throws IllegalStateException if the caller is not the owner, the branch was not joined,
     *     or the owner is neither in the monitor context it opened the branch in nor outside
     *     every monitor (then the branch was cancelled but not waited for, and it stays open)
     */
    @Override
    public void close() {
        core.close();
    }

    @Override
    public String toString() {
        return core.scopeName();
    }

    /** The public face of an internal child (internal code does not implement public types). */
    private static final class Handle<T> implements Child<T> {
        private static final Child.State[] STATES = Child.State.values();
        private final ChildRun<T> run;

        Handle(ChildRun<T> run) {
            this.run = run;
        }

        @Override
        public State state() {
            return STATES[run.state().ordinal()];
        }

        @Override
        public @Nullable T get() {
            return run.get();
        }

        @Override
        public @Nullable Throwable failure() {
            return run.failure();
        }

        @Override
        public String toString() {
            return run + " (" + state() + ")";
        }
    }

    /**
     * A child of a branch.
     *
     * @param <T> its result type
     */
    public interface Child<T> {
        /** A child's life: RUNNING, then one of the three ends, once. */
        enum State {
            /** Started (or about to) and not ended. */
            RUNNING,
            /** The task returned a shareable result. */
            SUCCEEDED,
            /**
             * The task threw (not because of the cancellation), or returned an unshareable result;
             * or the child's thread could not start, or ended without running the task.
             */
            FAILED,
            /** The branch was cancelled and the task ended by the cancellation, or never ran. */
            CANCELLED
        }

        /** @return the state now (a volatile read: a final state publishes the result and failure) */
        State state();

        /**
         * @return the task's result (null if the task returned null, as a {@code Runnable}'s child does)
         * @throws IllegalStateException if the child is not SUCCEEDED
         */
        @Nullable T get();

        /** @return what the task threw once FAILED, else null */
        @Nullable Throwable failure();
    }
}
