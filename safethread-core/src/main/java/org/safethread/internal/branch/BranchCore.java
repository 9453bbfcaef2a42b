package org.safethread.internal.branch;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.BranchException;
import org.safethread.UnshareableException;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.deadlock.Waitable;
import org.safethread.internal.monitor.MonitorLock;
import org.safethread.internal.monitor.MonitorStack;
import org.safethread.internal.runtime.CancelScope;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.SafeText;
import org.safethread.internal.runtime.StackReserve;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.share.ShareRules;

/**
 * A branch (CONTRACT §6): the children one owner thread forked, their cancellation, and the
 * owner's join.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>States.</b> The owner's phase goes {@code OPEN -> JOINED -> CLOSED} or
 * {@code OPEN -> CLOSED}; it is touched by the owner only (every owner-only method checks the
 * caller first). {@code cancelled} goes false -> true once (volatile). Each child goes
 * {@code RUNNING -> ended} once ({@link ChildRun}); {@code live} counts children not yet ended.
 *
 * <p><b>Fork racing cancel.</b> {@code children}, {@code nested} and the write of
 * {@code cancelled} are guarded by the branch's {@code lock}. A fork registers its child under the lock
 * only if not cancelled (else the child is born CANCELLED and no thread starts); a cancel sets
 * the flag and snapshots the children under the lock, then interrupts them outside it. So either
 * the fork sees the flag, or the cancel sees the child. A child in the snapshot whose thread has
 * not started yet misses the interrupt (interrupting a thread that is not alive may do
 * nothing), but its first action after taking its launch is a volatile read of {@code cancelled}: if that reads false,
 * the flag's write (and so the interrupt after it) comes later, when the thread is alive.
 *
 * <p><b>Nested branches.</b> A branch opened by a child of branch P registers in P's
 * {@code nested} under P's lock, then reads P's flag; P's cancel writes its flag, then reads
 * {@code nested} under the same lock: either the cancel cancels the new branch, or the new
 * branch sees P cancelled and cancels itself. So cancellation reaches every descendant. A
 * child whose task ends leaving such a branch open (never joined or closed: it is still in
 * {@code nested}) closes it on its own thread before it ends ({@link #closeLeftOpen}): cancelled
 * and waited for, so no descendant thread outlives the child, nor therefore P's join; the child
 * fails with an {@code IllegalStateException} saying so.
 *
 * <p><b>Level-triggered cancellation.</b> A child's thread runs with its {@link CancelScope}
 * set to its branch; safethread's blocking points test it (one volatile read) and throw
 * {@code CancelledException} every time while it is set. The interrupt wakes a child blocked in
 * a JDK call; {@link Reinterrupter} repeats it for a child that cleared its interrupt.
 *
 * <p><b>Ending.</b> A child ends by writing its state, then (if it failed) cancelling the branch
 * (fail fast: the first failure cancels the siblings), then decrementing {@code live}; the one
 * that reaches 0 unparks the owner. The decrement is in a {@code finally}: the cancel before it
 * interrupts threads a user's {@code ThreadFactory} made, whose {@code interrupt()} may be an
 * override ({@link ChildRun#interruptIfRunning} contains it), and a child that ended must be
 * counted ended whatever happens, or the owner would wait for it for ever. The owner waits until {@code live == 0}, then
 * {@link Thread#join()}s every child's thread, so no child thread is alive when join or close
 * returns or throws, and everything the children did happens-before the owner's report
 * (JLS 17.4.5, the rule for {@code join}).
 *
 * <p><b>Threads that never run their task.</b> A child is ended by the thread that took its
 * launch ({@link ChildRun}: only the thread the branch started can, once). A thread from a
 * user's {@code ThreadFactory} that ends without taking it (the factory ignored the runnable,
 * ran something else, handed it to another thread, or its thread threw first) would leave
 * {@code live} above 0 for ever, and nothing would unpark the owner. So while some launched
 * thread has not taken its launch, the owner's wait is timed (1 ms, doubling to 100 ms:
 * {@link #launchRecheckNanos}) and each wake-up looks ({@link #scanLaunches}: a volatile read
 * per child not yet past the cursor, then {@code isAlive} of the pending ones; no user code, as
 * it runs under the graph lock); a thread found ended with its launch still pending is claimed
 * by {@link ChildRun#claimAbandoned} ({@code isAlive} first, then a CAS: see {@code ChildRun}'s
 * notes for why a thread that ran its task is never claimed) and the owner ends that child
 * FAILED with an {@code IllegalStateException} ({@link #endAbandoned}, outside the graph lock:
 * it cancels the branch like any failure, which interrupts user threads). Once every launch is
 * taken, the wait is untimed again: a correct factory costs a join at most a few early
 * wake-ups, when it parks before its children's threads have started. A thread that is alive
 * and never runs its task cannot be told from a slow one: the factory's duty, documented.
 * {@code live}'s decrement by the owner itself does not unpark it (it is not parked).
 *
 * <p><b>Pinned monitors and breakable cycles.</b> A branch opened while its owner is inside
 * monitor M pins M: until the branch ends the owner may not {@code await} or {@code leave} on M;
 * and {@code join} and {@code close} (whose wait is the same) are refused unless the owner's
 * monitor context (stack depth and innermost entry) is the one it opened the branch in, or the
 * owner holds no monitor at all (a Branch is not shareable, so no monitor method can receive it;
 * this catches one smuggled through a field). So every monitor an owner holds while joining it
 * held, without a break, since before the branch opened, which is before any child started; an
 * owner holding none has no monitor edge into its wait. This keeps every cycle through a join breakable (a victim that is a fresh monitor
 * entry exists). Give each non-abortable waiter W a time τ(W): for a thread re-acquiring a
 * monitor after await/leave, when it released it; for a joiner, when it opened the branch. Along
 * each edge W -> W' between two non-abortable waiters τ grows: (a) W re-acquires M held by W':
 * W' took M after τ(W); if W' re-acquires M' itself, it took M before releasing M' (M is below
 * M' on its stack), so τ(W') is later still; if W' is joining, it has held M since before it
 * opened the branch, so τ(W') is later. (b) W joins and W' is its child: W' started after the
 * branch opened at τ(W), and released or opened anything later still. Around a cycle τ cannot
 * grow for ever, so some wait on it is abortable: a fresh monitor entry (the joiner never is).
 * Without the pin, an owner could release M by {@code leave}, a child could enter M and
 * {@code leave} it, the owner re-enter M and join: the child's re-entry and the join would wait
 * for each other with no victim allowed.
 */
public final class BranchCore extends CancelScope implements Waitable, MonitorStack.Pin {
    private static final AtomicLong IDS = new AtomicLong();
    private static final int OPEN = 0;
    private static final int JOINED = 1;
    private static final int CLOSED = 2;
    /**
     * The longest a join waits between two looks at whether a launched thread that has not
     * taken its task yet has ended without it: bounds how late such a factory bug is reported.
     * The looks start {@link #LAUNCH_RECHECK_FIRST_NANOS} apart and double up to this. Only while
     * such a thread exists; a child's thread normally takes its task within microseconds of its
     * start, so a join parks untimed after at most a few short waits.
     */
    private static final long LAUNCH_RECHECK_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The first re-check's wait: a thread that ignores its task usually ends within a millisecond. */
    private static final long LAUNCH_RECHECK_FIRST_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int LAUNCH_NONE_PENDING = 0;
    private static final int LAUNCH_PENDING = 1;
    private static final int LAUNCH_ABANDONED = 2;

    private final long id;
    private final String name;
    private final Thread owner;
    private final ThreadState ownerTs;
    /** The owner's monitor stack (the owner's own thread-local: only the owner reads it). */
    private final MonitorStack ownerStack;
    private final ThreadFactory factory;
    /** The branch the owner runs as a child of, or null. */
    private final BranchCore parent;
    /** The monitor the branch pins (the owner's innermost at open), or null. */
    private final MonitorLock pinned;
    private final int openDepth;
    private final Object openTop;

    /**
     * Guards {@code children} (writes), {@code nested} and the write of {@code cancelled}. A
     * {@code ReentrantLock}, not {@code synchronized}: no path of the runtime pins a virtual
     * thread's carrier (JDK 21-23 pin inside {@code synchronized}).
     */
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean cancelled;
    /** Children in fork order. Written under lock (the owner also reads it unlocked: only it adds). */
    private final List<ChildRun<?>> children = new ArrayList<>();
    /** Open branches whose owners are children of this one. Guarded by lock. */
    private final List<BranchCore> nested = new ArrayList<>(0);
    private final AtomicInteger live = new AtomicInteger();
    /** Owner only. */
    private int phase = OPEN;
    /** Owner only: children before this index have no pending launch ({@link #scanLaunches}). */
    private int launchScanFrom;
    /** Owner only: the join's next re-check wait while a launch is pending ({@link #launchRecheckNanos}). */
    private long launchRecheck = LAUNCH_RECHECK_FIRST_NANOS;

    private BranchCore(ThreadFactory factory) {
        this.owner = Thread.currentThread();
        this.ownerStack = MonitorStack.current();
        this.ownerTs = ownerStack.threadState();
        this.factory = factory;
        this.id = IDS.incrementAndGet();
        this.name = "branch#" + id + " (opened by " + label(owner) + ")";
        this.pinned = ownerStack.innermost();
        this.openDepth = ownerStack.depth();
        this.openTop = ownerStack.topEntry();
        CancelScope s = CancelScope.current();
        this.parent = s instanceof BranchCore ? (BranchCore) s : null;
    }

    /**
     * Opens a branch owned by the calling thread.
     *
     * @param factory makes the children's threads; null for platform threads named after the branch
     */
    public static BranchCore open(ThreadFactory factory) {
        ThreadState ts = ThreadState.current();
        ts.pollIfRequested();
        BranchCore b = new BranchCore(factory);
        if (b.pinned != null) {
            b.ownerStack.pin(b.pinned, b);
        }
        Counters.BRANCHES_OPENED.increment();
        BranchCore p = b.parent;
        if (p != null) {
            p.lock.lock();
            try {
                p.nested.add(b);
            } finally {
                p.lock.unlock();
            }
            if (p.isCancelled()) { // pairs with cancel(): flag written, then nested read under the lock
                b.cancel();
            }
        }
        return b;
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public String scopeName() {
        return name;
    }

    // ------------------------------------------------------------------ fork

    /** {@code Branch.fork}. */
    public <T> ChildRun<T> fork(Callable<? extends T> task, Object shown) {
        checkOwner("fork");
        if (phase != OPEN) {
            throw new IllegalStateException("Branch.fork: " + name + " was already " + (phase == JOINED ? "joined" : "closed")
                    + "; no child may be forked after join or close (open a new branch)");
        }
        Objects.requireNonNull(shown, "Branch.fork: task is null");
        if (!ShareRules.shareableAtOneLevel(shown)) {
            String why = ShareRules.whyNot(shown);
            if (why != null) {
                throw new UnshareableException("Branch.fork: the task (" + shown.getClass().getName() + ") is not shareable: " + why
                        + "; it runs on another thread, so it may capture only shareable values (no thread was started)");
            }
        }
        // From here a child is counted live before its launch and given up on if the launch
        // fails: an overflow between the two would leave join waiting for ever.
        StackReserve.ensure();
        ownerTs.pollIfRequested();
        int index = children.size() + 1;
        ChildRun<T> child = new ChildRun<>(this, index, task);
        if (cancelled) {
            return bornCancelled(child);
        }
        Thread t = newThread(child, index);
        lock.lock();
        try {
            if (cancelled) {
                children.add(child);
                t = null;
            } else {
                child.thread = t;
                children.add(child);
                live.incrementAndGet();
            }
        } finally {
            lock.unlock();
        }
        if (t == null) {
            child.end(ChildRun.State.CANCELLED, null, null);
            return child;
        }
        boolean launched = false;
        try {
            if (t.getState() != Thread.State.NEW) {
                throw new IllegalThreadStateException("Branch.fork: the ThreadFactory of " + name + " returned a thread "
                        + "that was already started (" + t.getState() + "); a ThreadFactory must return a new, "
                        + "unstarted thread: the branch starts it");
            }
            child.launching(t);
            launched = true;
            t.start();
        } catch (Throwable e) {
            if (launched && !child.revokeLaunch(t)) {
                return child; // t took its launch after all (someone else started it): it runs the task and ends the child
            }
            child.thread = null;
            live.decrementAndGet(); // it will never run; the owner is not waiting now (it is here)
            child.end(ChildRun.State.FAILED, null, e); // cancels the siblings like any failure
        }
        return child;
    }

    private <T> ChildRun<T> bornCancelled(ChildRun<T> child) {
        lock.lock();
        try {
            children.add(child);
        } finally {
            lock.unlock();
        }
        child.end(ChildRun.State.CANCELLED, null, null);
        return child;
    }

    private Thread newThread(ChildRun<?> child, int index) {
        if (factory == null) {
            return new Thread(null, child, "branch#" + id + "-child-" + index, 0);
        }
        Thread t = factory.newThread(child);
        if (t == null) {
            throw new IllegalStateException("Branch.fork: the ThreadFactory of " + name + " returned null");
        }
        return t;
    }

    // ------------------------------------------------------------------ ending, cancelling

    /** Called once per child as it ends (its thread, or the owner for a child that never ran). */
    void childEnded(ChildRun<?> child, ChildRun.State end, Throwable failure) {
        try {
            if (end == ChildRun.State.FAILED) {
                Counters.CHILDREN_FAILED.increment();
                cancel(); // fail fast
            } else if (end == ChildRun.State.CANCELLED) {
                Counters.CHILDREN_CANCELLED.increment();
            }
        } finally {
            // Whatever the cancel threw (it contains user code, but starting the canceller may
            // fail for want of a native thread), the child has ended: a join must not wait for it.
            if (child.thread != null && live.decrementAndGet() == 0 && Thread.currentThread() != owner) {
                LockSupport.unpark(owner); // pairs with the owner's wait on live == 0 (the owner ends only abandoned children)
            }
        }
    }

    /** {@code Branch.cancel}: any thread; idempotent. */
    public void cancel() {
        List<ChildRun<?>> kids;
        List<BranchCore> inner;
        lock.lock();
        try {
            if (cancelled) {
                return;
            }
            cancelled = true; // pairs with fork's and open's reads under/after this lock
            kids = new ArrayList<>(children);
            inner = new ArrayList<>(nested);
        } finally {
            lock.unlock();
        }
        boolean anyRunning = false;
        for (ChildRun<?> k : kids) {
            anyRunning |= k.interruptIfRunning();
        }
        for (BranchCore n : inner) {
            n.cancel();
        }
        if (anyRunning) {
            Reinterrupter.watch(this);
        }
    }

    /** Interrupts the running children again; @return whether any still runs. For the canceller. */
    boolean interruptRunningChildren() {
        List<ChildRun<?>> kids;
        lock.lock();
        try {
            kids = new ArrayList<>(children);
        } finally {
            lock.unlock();
        }
        boolean anyRunning = false;
        for (ChildRun<?> k : kids) {
            anyRunning |= k.interruptIfRunning();
        }
        return anyRunning;
    }

    // ------------------------------------------------------------------ join, close

    /** {@code Branch.join}. */
    public void join() throws InterruptedException {
        checkOwner("join");
        if (phase != OPEN) {
            throw new IllegalStateException("Branch.join: " + name + " was already " + (phase == JOINED ? "joined" : "closed")
                    + "; a branch is joined once");
        }
        if (!mayWaitHere()) {
            throw new IllegalStateException("Branch.join: " + name + " must be joined in the monitor context it was "
                    + "opened in (the same monitor method, outside any monitor entered since) or outside every monitor: "
                    + "joining while holding another monitor could make a deadlock that cannot be broken. Join it where "
                    + "it was opened (the branch is still open)");
        }
        StackReserve.ensure(); // a wait registered in the graph, then deregistered: all or nothing
        ownerTs.pollIfRequested();
        boolean interrupted = Thread.interrupted();
        if (interrupted || CancelScope.cancelledNow()) {
            cancel();
        }
        interrupted |= awaitChildren();
        phase = JOINED;
        finish();
        report(interrupted);
    }

    /** {@code Branch.close}. */
    public void close() {
        checkOwner("close");
        if (phase != OPEN) {
            phase = CLOSED;
            return;
        }
        StackReserve.ensure(); // closed, cancelled and waited for, or (overflowing here) still open
        if (!mayWaitHere()) {
            // Waiting here could close a cycle with no abortable wait on it (see the notes), and
            // close cannot return without waiting: refuse as join does, but cancel first, since
            // the caller is ending the branch. The branch stays open: a close or join where it
            // was opened (or outside every monitor) waits for the children.
            cancel();
            throw new IllegalStateException("Branch.close: " + name + " must be closed in the monitor context it was "
                    + "opened in (the same monitor method, outside any monitor entered since) or outside every monitor: "
                    + "waiting for its children while holding another monitor could make a deadlock that cannot be "
                    + "broken. The branch was cancelled but its children were not waited for, and it is still open: "
                    + "close it where it was opened (try-with-resources does)");
        }
        closeOpen();
    }

    /**
     * The monitor entry this branch was opened in has exited with the branch still open (the
     * monitor method returned or threw without joining or closing it): closes it here, on the
     * owner's thread, just outside that monitor. Not {@link #mayWaitHere()}'s context, but every
     * monitor the owner still holds it held since before the branch opened, so no child ever held
     * one, and every cycle through this wait has a child's fresh (abortable) entry on it.
     */
    @Override
    public RuntimeException closeAfterEntryExit() {
        IllegalStateException leak = new IllegalStateException(name + " was opened inside a monitor method of "
                + pinned.displayName() + " that returned or threw leaving it open; it was cancelled and its children "
                + "have ended. Join or close a branch inside the monitor method that opens it (try-with-resources)");
        if (phase == OPEN) {
            try {
                closeOpen();
            } catch (Throwable closed) { // close without join always throws; its suppressed are the failures
                leak.addSuppressed(closed);
            }
        }
        return leak;
    }

    /** Closes the open branch: cancels it, waits for every child, and reports (always throws). */
    private void closeOpen() {
        phase = CLOSED;
        cancel();
        boolean interrupted = awaitChildren();
        finish();
        if (interrupted) {
            Thread.currentThread().interrupt(); // close cannot throw InterruptedException: keep the status
        }
        List<Throwable> failures = failures();
        event(failures);
        for (Throwable f : failures) {
            if (f instanceof VirtualMachineError) {
                throw (VirtualMachineError) f;
            }
        }
        IllegalStateException e = new IllegalStateException("Branch.close: " + name + " was closed without a "
                + "completed join (the body threw or returned early), so it was cancelled and every child has ended"
                + (failures.isEmpty() ? "" : "; " + failures.size() + " child(ren) failed (attached as suppressed)")
                + ". Call join() at the end of the body");
        for (Throwable f : failures) {
            e.addSuppressed(f);
        }
        throw e;
    }

    /**
     * Whether the owner may wait for the children here (join, close): in the monitor context it
     * opened the branch in (stack depth and innermost entry), or holding no monitor at all. An
     * owner that holds nothing is waited for by no monitor entry, so no cycle passes through its
     * wait from a monitor; the only edge into it is its own parent's join, which is older (see
     * the notes). This is also where a child closes the branches its task left open
     * ({@link #closeLeftOpen}, after its task: outside every monitor).
     */
    private boolean mayWaitHere() {
        int depth = ownerStack.depth();
        return depth == 0 || (depth == openDepth && ownerStack.topEntry() == openTop);
    }

    /**
     * Waits until every child has ended and its thread has terminated. An interrupt cancels the
     * branch and the wait goes on.
     *
     * @return whether the owner was interrupted meanwhile (its status is then clear)
     */
    private boolean awaitChildren() {
        boolean interrupted = false;
        endAbandoned();
        if (live.get() != 0) {
            if (cancelled) {
                // The canceller re-interrupts children that swallowed the cancellation's interrupt;
                // a SafeThread.shutdown since the cancel may have stopped it. This wait is a later
                // use of the runtime, which restarts what it needs (watch is idempotent).
                Reinterrupter.watch(this);
            }
            // A graph wait on every live child, never a victim (see the notes); an interrupt
            // cancels the branch and the wait goes on. Pairs with childEnded's decrement and unpark.
            // While a launched thread has not taken its task, the wait wakes now and then (1 ms,
            // doubling to 100 ms) to look whether it ended without it (nobody would unpark us then).
            while (!allEnded()) {
                WaitForGraph.await(this, false, this::allEndedOrAbandoned, this::cancel, this::launchRecheckNanos);
                endAbandoned(); // outside the graph lock: ending a child cancels the branch
            }
            interrupted = Thread.interrupted(); // the waits restored the status: take it over
        }
        for (ChildRun<?> c : children) {
            Thread t = c.thread;
            if (t == null) {
                continue;
            }
            for (;;) {
                try {
                    t.join(); // the child has ended its task: it is only leaving run()
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    cancel();
                }
            }
        }
        return interrupted;
    }

    /**
     * Closes the branches that {@code child}'s thread opened under this one and left open (its
     * task returned or threw without joining or closing them): each is cancelled and waited for,
     * so that no thread a child started outlives the child. Called by the child's thread, the
     * owner of those branches, after its task.
     *
     * @return an {@code IllegalStateException} naming the first branch left open (the others and
     *     their close failures attached), or null when the child left none open
     */
    Throwable closeLeftOpen(ChildRun<?> child) {
        Thread me = Thread.currentThread();
        List<BranchCore> mine = new ArrayList<>(0);
        lock.lock();
        try {
            for (BranchCore n : nested) {
                if (n.owner == me) {
                    mine.add(n);
                }
            }
        } finally {
            lock.unlock();
        }
        if (mine.isEmpty()) {
            return null;
        }
        IllegalStateException leak = new IllegalStateException(child + " ended leaving " + mine.get(mine.size() - 1).name
                + (mine.size() > 1 ? " and " + (mine.size() - 1) + " more branch(es) open; they were cancelled and their"
                        : " open; it was cancelled and its")
                + " children have ended. Join or close every branch a task opens (try-with-resources)");
        for (int i = mine.size() - 1; i >= 0; i--) { // the latest opened first
            try {
                mine.get(i).close();
            } catch (Throwable closed) { // close without join always throws; its suppressed are the failures
                leak.addSuppressed(closed);
            }
        }
        return leak;
    }

    /** Unpins and leaves the parent's nested list (owner, once, after the children ended). */
    private void finish() {
        if (pinned != null) {
            ownerStack.unpin(this); // gone already if the entry it was opened in exited first
        }
        BranchCore p = parent;
        if (p != null) {
            p.lock.lock();
            try {
                p.nested.remove(this);
            } finally {
                p.lock.unlock();
            }
        }
    }

    private List<Throwable> failures() {
        List<Throwable> out = new ArrayList<>(0);
        for (ChildRun<?> c : children) {
            Throwable f = c.failure();
            if (f != null) {
                out.add(f);
            }
        }
        return out;
    }

    private void report(boolean interrupted) throws InterruptedException {
        List<Throwable> failures = failures();
        event(failures);
        for (Throwable f : failures) {
            if (f instanceof VirtualMachineError) {
                throw (VirtualMachineError) f;
            }
        }
        if (CancelScope.cancelledNow()) {
            if (interrupted) {
                Thread.currentThread().interrupt(); // the cancellation's interrupt stays visible
            }
            RuntimeException ce = CancelScope.cancelledAt("Branch.join of " + name);
            failures.forEach(ce::addSuppressed);
            throw ce;
        }
        if (interrupted) {
            InterruptedException ie = new InterruptedException("Branch.join: the owner of " + name + " was interrupted "
                    + "while joining; the branch was cancelled and every child has ended");
            failures.forEach(ie::addSuppressed);
            throw ie;
        }
        if (failures.isEmpty()) {
            return;
        }
        if (failures.size() == 1) {
            Throwable f = failures.get(0);
            if (f instanceof RuntimeException) {
                throw (RuntimeException) f;
            }
            if (f instanceof Error) {
                throw (Error) f;
            }
            throw new BranchException(name + ": a child failed with a checked exception (the cause)", failures);
        }
        throw new BranchException(name + ": " + failures.size() + " children failed (failures(), in fork order)",
                failures);
    }

    private void event(List<Throwable> failures) {
        if (failures.isEmpty()) {
            return;
        }
        BranchFailedEvent e = new BranchFailedEvent();
        if (e.isEnabled()) {
            int cancelledCount = 0;
            for (ChildRun<?> c : children) {
                if (c.state() == ChildRun.State.CANCELLED) {
                    cancelledCount++;
                }
            }
            Throwable first = failures.get(0);
            e.branch = name;
            e.children = children.size();
            e.failed = failures.size();
            e.cancelled = cancelledCount;
            e.firstFailure = SafeText.of(first); // a user exception: its getMessage() may throw
            e.commit();
        }
    }

    private void checkOwner(String op) {
        Thread me = Thread.currentThread();
        if (me != owner) {
            throw new IllegalStateException("Branch." + op + " called by thread " + label(me) + ", but only the owner of "
                    + name + " may fork, join or close it");
        }
    }

    /** @return a thread's name, or {@code #id} for an unnamed (e.g. virtual) thread */
    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    static String label(Thread t) {
        String n = t.getName();
        return n.isEmpty() ? "#" + t.getId() : n;
    }

    private boolean allEnded() {
        return live.get() == 0;
    }

    // ------------------------------------------------------------------ threads that never ran their task

    /** The join's done: every child ended, or one must be ended by the owner (see {@link #scanLaunches}). */
    private boolean allEndedOrAbandoned() {
        return allEnded() || scanLaunches() == LAUNCH_ABANDONED;
    }

    /**
     * The join's re-check period: only while some launched thread has not taken its task yet,
     * doubling from {@link #LAUNCH_RECHECK_FIRST_NANOS} to {@link #LAUNCH_RECHECK_MAX_NANOS}.
     */
    private long launchRecheckNanos() {
        if (scanLaunches() == LAUNCH_NONE_PENDING) {
            return 0;
        }
        long wait = launchRecheck;
        launchRecheck = Math.min(LAUNCH_RECHECK_MAX_NANOS, wait * 2);
        return wait;
    }

    /**
     * Owner only (in its join's wait, possibly under the graph lock: no user code, nothing that
     * blocks). Looks at the children from {@code launchScanFrom} on and moves that cursor past
     * the leading ones whose launch is no longer pending (it never is again), so a join's scans
     * cost about one look per child in all when children start in fork order.
     *
     * @return {@link #LAUNCH_ABANDONED} if some launched thread has ended without taking its
     *     launch (a candidate: {@link ChildRun#claimAbandoned} decides), else
     *     {@link #LAUNCH_PENDING} if some has not taken it yet, else {@link #LAUNCH_NONE_PENDING}
     */
    private int scanLaunches() {
        int result = LAUNCH_NONE_PENDING;
        for (int i = launchScanFrom, n = children.size(); i < n; i++) {
            ChildRun<?> c = children.get(i);
            if (!c.launchPending()) {
                if (result == LAUNCH_NONE_PENDING) {
                    launchScanFrom = i + 1;
                }
                continue;
            }
            if (!c.thread.isAlive()) { // after start() returned: it has terminated
                return LAUNCH_ABANDONED;
            }
            result = LAUNCH_PENDING;
        }
        return result;
    }

    /**
     * Owner only, outside the graph lock: ends FAILED every child whose thread terminated
     * without taking its launch (the factory's thread ignored the runnable, ran something else,
     * handed it to another thread, or failed before reaching it), so that join reports it
     * instead of waiting for it for ever.
     */
    private void endAbandoned() {
        for (int i = launchScanFrom, n = children.size(); i < n; i++) {
            ChildRun<?> c = children.get(i);
            Thread t = c.thread;
            if (c.claimAbandoned()) {
                c.end(ChildRun.State.FAILED, null, new IllegalStateException(c + " never ran: its thread " + label(t)
                        + ", made by the ThreadFactory of " + name + ", ended without running the task it was given "
                        + "(the factory ignored the Runnable, ran something else, handed it to another thread, or its "
                        + "thread failed before reaching it); a ThreadFactory must return a thread that runs the Runnable "
                        + "it is given, on that very thread (e.g. r -> new Thread(r))"));
            }
        }
    }

    // ------------------------------------------------------------------ the join as a graph wait

    /**
     * The children that have not ended and whose threads run: the join waits on every one. Called
     * under the graph lock while the owner is registered (parked in join or close), so the owner
     * adds no child meanwhile and its earlier additions happen-before the graph lock; a child
     * registered in the graph is inside its task, so it has not ended and is rightly reported.
     */
    @Override
    public void blockers(ThreadState waiter, List<ThreadState> out) {
        for (int i = 0, n = children.size(); i < n; i++) {
            ChildRun<?> c = children.get(i);
            Thread th = c.thread;
            if (th != null && c.state() == ChildRun.State.RUNNING) {
                ThreadState t = ThreadRegistry.stateOf(th); // null: it never used the runtime, so it waits in no graph
                if (t != null) {
                    out.add(t);
                }
            }
        }
    }

    @Override
    public boolean retry(ThreadState waiter) {
        return allEnded();
    }

    /** "the end of branch#3 (opened by main; live children: branch#3-child-1, branch#3-child-2)". */
    @Override
    public String waitableName() {
        StringBuilder b = new StringBuilder(name.length() + 80).append("the end of ").append(name, 0, name.length() - 1)
                .append("; live children: ");
        int listed = 0;
        for (int i = 0, n = children.size(); i < n; i++) {
            ChildRun<?> c = children.get(i);
            Thread t = c.thread;
            if (t != null && c.state() == ChildRun.State.RUNNING) {
                b.append(listed++ == 0 ? "" : ", ");
                if (t.getName().isEmpty()) {
                    b.append("child ").append(c.index).append(" (").append(label(t)).append(')'); // unnamed (virtual)
                } else {
                    b.append(t.getName());
                }
            }
        }
        return b.append(listed == 0 ? "none)" : ")").toString();
    }

    @Override
    public String blockerPhrase() {
        return "blocked by its child";
    }

    @Override
    public String blockerRole() {
        return "is a child of " + name;
    }

    @Override
    public String toString() {
        return name;
    }
}
