package org.safethread.internal.refcount;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.internal.runtime.ThreadState;

/**
 * Field access of {@link RefCounted} and {@link Ref}: the only holder of their VarHandles, with
 * one accessor per field and memory mode that the runtime uses, each named by its mode (as
 * {@code AbstractQueuedSynchronizer} and JCTools name theirs): {@code Plain} is
 * {@link VarHandle#get}/{@link VarHandle#set}, {@code Opaque} is {@link VarHandle#getOpaque},
 * {@code Volatile} is {@link VarHandle#getVolatile}/{@link VarHandle#setVolatile}, {@code cas} is
 * {@link VarHandle#compareAndSet}, {@code weakCas} is {@link VarHandle#weakCompareAndSet} (volatile
 * strength, may fail spuriously), {@code compareAndExchange} and {@code getAndSet} are the
 * VarHandle operations of that name (volatile strength). A mode is part of a protocol: an accessor
 * is chosen for what its call site needs, never changed on its own.
 *
 * <h2>Implementation notes</h2>
 *
 * <p>The fields, who touches them and in which modes. The protocols that justify each ordering
 * are argued in the implementation notes of {@link RefCounts} (who touches what, memory
 * ordering), {@link Fold} (freezing, fold and CAS), {@link Deaths} (bare deaths) and
 * {@link KillWindow} (a DEAD the collector may still undo).
 * <ul>
 *   <li>{@code RefCounted.owner}: the owning thread's state; null once merged, unbiased or dead.
 *       Plain reads by the owner (ordered with its holders by the attach protocol), a holder,
 *       death processing (which only clears it: a stale value costs a redundant store of null),
 *       and by any thread that only compares it with its own state (the field only ever holds
 *       the creator's state or null, so another thread never finds its own state there). Plain
 *       writes: before publication, by the owner after its DEAD CAS, by the owner or its holder
 *       after the fold's MERGED CAS, by death processing. Opaque reads where a thread that is
 *       not the owner uses the value (merge queueing, the collector's readability check): never
 *       hoisted out of a loop, and a later opaque read sees the same or a newer value; the
 *       caller re-checks what it relies on.</li>
 *   <li>{@code RefCounted.local}: the owner's plain count and its BUFFERED flag
 *       ({@link CountWord}). Plain only: the owner, or a thread holding it
 *       ({@link ThreadState#tryHold()} supplies the happens-before edge), or the collector for
 *       an owner it holds. The runtime's protocols never read it on another thread; only the
 *       public {@link RefCounted#refCount()} query may, and it documents that its answer is
 *       exact only given a happens-before edge from the owner's last change.</li>
 *   <li>{@code RefCounted.shared}, "the word" ({@link CountWord}): volatile reads and CAS
 *       (strong; weak only in {@code sharedAdd}'s retry loop, which only adds references) for
 *       every change, so a thread's actions before a release happen-before the CAS that kills
 *       the object. A plain write only in the construction of an unbiased object, before
 *       publication (the unbiased birth: MERGED, one reference, and for a class with nothing to
 *       do at death the immutable BARE bit, from which {@link UnownedRelease} decides such a
 *       death). A volatile write only where the collector restores a word it had marked DEAD,
 *       inside its {@link KillWindow} (every other writer CASes and fails on DEAD).</li>
 *   <li>{@code RefCounted.extras}: the object's {@link Extras} (cells, watches, bindings, core)
 *       or null. Volatile reads; installed once by compareAndExchange; a plain write only in the
 *       constructor path, before publication. Volatile, not merely acquire, because of the
 *       Dekker pair below.</li>
 *   <li>{@code RefCounted.collectorSlot}: the collector's index of the object in its current
 *       snapshot. Plain only: the collector thread under its run lock; stale values are harmless
 *       (validated against the snapshot's array).</li>
 *   <li>{@code Ref.value}: the object a {@code Ref} slot holds (a volatile field). Volatile reads
 *       and getAndSet, so a slot's old value is taken, and released, exactly once.</li>
 *   <li>{@code Ref.collectorMark}: the collection that last traced the {@code Ref}. Plain only:
 *       the collector thread under its run lock.</li>
 * </ul>
 *
 * <p>Outside this class, only the two public classes touch their own fields, as Java fields:
 * {@code RefCounted}'s constructor writes {@code owner} and {@code local} before publication;
 * its fast paths ({@code incref}/{@code decref}) read {@code owner} plainly on any thread only to
 * compare its thread with the current one, and read and write {@code local} plainly only on the
 * owner (the modes of {@link #ownerPlain} and {@link #localPlain}). {@code Ref}'s constructor,
 * {@code get} and {@code toString} write or read its volatile {@code value} field directly (the
 * mode of {@link #refValueVolatile}).
 *
 * <p><b>Dekker pairs.</b> Death processing reads {@code extras} ({@link #extrasVolatile}) after
 * the CAS that set DEAD ({@link Deaths#die}, and {@link UnownedRelease#release} before it takes
 * a bare death); whoever installs Extras
 * ({@link #compareAndExchangeExtras}, through {@link RefCounts#extrasOrCreate}) reads the word
 * afterwards ({@link #wordVolatile}: {@link RefCounts#watch} re-checks liveness,
 * {@link RefCounts#touchForBindings} checks it before a binding is added). All four accesses are
 * in the synchronization order, so either the death sees the Extras or the installer sees DEAD.
 * Both ends say {@code // pairs with ...} at their sites.
 */
public final class CountFields {
    private static final VarHandle OWNER;
    private static final VarHandle LOCAL;
    private static final VarHandle SHARED;
    private static final VarHandle EXTRAS;
    private static final VarHandle SLOT;
    private static final VarHandle REF_VALUE;
    private static final VarHandle REF_MARK;

    static {
        try {
            MethodHandles.Lookup rc = MethodHandles.privateLookupIn(RefCounted.class, MethodHandles.lookup());
            OWNER = rc.findVarHandle(RefCounted.class, "owner", ThreadState.class);
            LOCAL = rc.findVarHandle(RefCounted.class, "local", int.class);
            SHARED = rc.findVarHandle(RefCounted.class, "shared", long.class);
            EXTRAS = rc.findVarHandle(RefCounted.class, "extras", Object.class);
            SLOT = rc.findVarHandle(RefCounted.class, "collectorSlot", int.class);
            MethodHandles.Lookup rl = MethodHandles.privateLookupIn(Ref.class, MethodHandles.lookup());
            REF_VALUE = rl.findVarHandle(Ref.class, "value", RefCounted.class);
            REF_MARK = rl.findVarHandle(Ref.class, "collectorMark", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private CountFields() {
    }

    // ------------------------------------------------------------------ RefCounted.owner

    /**
     * @return the owner, or null (plain read: the caller is the owner, holds it, processes the
     *     object's death, or only compares the value with its own state)
     */
    static ThreadState ownerPlain(RefCounted x) {
        return (ThreadState) OWNER.get(x);
    }

    /**
     * @return the owner, or null once merged or dead (opaque read: for a thread that is not the
     *     owner and uses the value; racy, so the caller re-checks what it relies on)
     */
    public static ThreadState ownerOpaque(RefCounted x) {
        return (ThreadState) OWNER.getOpaque(x);
    }

    /** Writes the owner (plain: before publication, by the owner or its holder, or at death). */
    static void setOwnerPlain(RefCounted x, ThreadState owner) {
        OWNER.set(x, owner);
    }

    // ------------------------------------------------------------------ RefCounted.local

    /** @return the owner's plain count field (plain read); caller must be the owner or hold it */
    public static int localPlain(RefCounted x) {
        return (int) LOCAL.get(x);
    }

    /** Writes the owner's plain count field (plain write); caller must be the owner or hold it. */
    public static void setLocalPlain(RefCounted x, int v) {
        LOCAL.set(x, v);
    }

    // ------------------------------------------------------------------ RefCounted.shared

    /** @return the shared word (volatile read) */
    public static long wordVolatile(RefCounted x) {
        return (long) SHARED.getVolatile(x);
    }

    /** Writes the shared word (plain write): only before {@code x} is published. */
    static void setWordPlain(RefCounted x, long w) {
        SHARED.set(x, w);
    }

    /**
     * Writes the shared word (volatile write): only the collector, restoring a word it had marked
     * DEAD in a group that failed validation (see {@link KillWindow}).
     */
    public static void setWordVolatile(RefCounted x, long w) {
        SHARED.setVolatile(x, w);
    }

    /** @return whether the shared word was {@code expect} and is now {@code update} (volatile CAS) */
    public static boolean casWord(RefCounted x, long expect, long update) {
        return SHARED.compareAndSet(x, expect, update);
    }

    /**
     * Weak CAS on the shared word (volatile strength; may fail spuriously): only in a loop that
     * re-reads the word and retries.
     *
     * @return whether the word was {@code expect} and is now {@code update}
     */
    static boolean weakCasWord(RefCounted x, long expect, long update) {
        return SHARED.weakCompareAndSet(x, expect, update);
    }

    // ------------------------------------------------------------------ RefCounted.extras

    /**
     * @return the object's Extras, or null (volatile read). Volatile, not merely acquire: death
     *     processing reads it after the DEAD CAS, and whoever attaches Extras (a watch, a binding)
     *     reads the word after installing it ({@link #compareAndExchangeExtras}); so one of the
     *     two sees the other (a Dekker pair needs all four accesses in the synchronization
     *     order). On x86 and AArch64 this costs what the acquire read did.
     */
    public static Extras extrasVolatile(RefCounted x) {
        return (Extras) EXTRAS.getVolatile(x);
    }

    /** Writes the Extras field (plain write): only before {@code x} is published. */
    static void setExtrasPlain(RefCounted x, Extras e) {
        EXTRAS.set(x, e);
    }

    /**
     * Installs {@code fresh} if the Extras field is null (volatile compareAndExchange; pairs with
     * {@link #extrasVolatile}).
     *
     * @return the witness: null if {@code fresh} was installed, else the Extras already there
     */
    static Extras compareAndExchangeExtras(RefCounted x, Extras fresh) {
        return (Extras) EXTRAS.compareAndExchange(x, null, fresh);
    }

    // ------------------------------------------------------------------ RefCounted.collectorSlot

    /** @return the collector's slot field (plain read; collector only) */
    public static int collectorSlotPlain(RefCounted x) {
        return (int) SLOT.get(x);
    }

    /** Writes the collector's slot field (plain write; collector only). */
    public static void setCollectorSlotPlain(RefCounted x, int slot) {
        SLOT.set(x, slot);
    }

    // ------------------------------------------------------------------ Ref.value

    /** @return the object in a Ref slot, or null (volatile read) */
    public static RefCounted refValueVolatile(Ref<?> r) {
        return (RefCounted) REF_VALUE.getVolatile(r);
    }

    /** @return what the Ref slot held, or null, after storing {@code v} in it (volatile getAndSet) */
    static RefCounted getAndSetRefValue(Ref<?> r, RefCounted v) {
        return (RefCounted) REF_VALUE.getAndSet(r, v);
    }

    // ------------------------------------------------------------------ Ref.collectorMark

    /** @return the collection that last traced the Ref (plain read; collector only) */
    static int refMarkPlain(Ref<?> r) {
        return (int) REF_MARK.get(r);
    }

    /** Writes the collection that last traced the Ref (plain write; collector only). */
    static void setRefMarkPlain(Ref<?> r, int epoch) {
        REF_MARK.set(r, epoch);
    }
}
