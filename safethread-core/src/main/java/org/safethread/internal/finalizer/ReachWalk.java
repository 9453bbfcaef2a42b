package org.safethread.internal.finalizer;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicMarkableReference;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.AtomicStampedReference;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.monitor.MonitorProxy;
import org.safethread.internal.runtime.ThreadState;

/**
 * Whether one object reaches another through the objects it holds: the walk behind "a finalizer
 * core must not reach its owner" (and "a value must not reach its weak key").
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>Complete.</b> Breadth-first over the object graph (so the path reported is a shortest
 *       one), iterative (a chain of any length costs heap, not stack), with no cap on depth or
 *       size: a walk either finds the target, proves it unreachable, or stops at an object it
 *       cannot see into and says so ({@link Unverifiable}). It never answers "no" for a part of
 *       the graph it did not look at.</li>
 *   <li><b>What it follows.</b> Every reference field of user classes (read by reflection, up the
 *       superclass chain), array elements, a monitor's target, a {@code Ref}'s referent, and the
 *       JDK's holder types through their own (final, JDK) code: the concrete collections and maps
 *       of {@code java.util} and {@code java.util.concurrent} (not views or wrappers, which may
 *       delegate to user code), map entries, {@code Optional}, the atomic reference holders, and
 *       weak and soft references (their referent may still be handed out).</li>
 *   <li><b>What it does not follow.</b> Values that cannot hold other objects (strings, boxes,
 *       {@code java.time}, atomic numbers, locks, buffers, files and channels, ...), and roots of
 *       their own — classes (static fields), class loaders, threads, enum constants: whatever
 *       they reach, any code can reach, so no check of an object graph could stop it.</li>
 *   <li><b>What it refuses.</b> Any other JDK class (its fields may not be read, and its methods
 *       are not known to be free of user code), a user class extending such a class, a view or
 *       wrapper collection, a lambda of another module whose captured values cannot be read, a
 *       JDK collection that keeps changing while it is read.</li>
 *   <li><b>No user code.</b> It reads fields, and calls only JDK methods of JDK classes known not
 *       to call back into user code ({@code equals}/{@code hashCode} are never needed: identity
 *       only).</li>
 * </ul>
 */
public final class ReachWalk {
    /** Path steps shown at each end of a long path: enough to find it, short enough for a message. */
    private static final int PATH_HEAD = 4;
    private static final int PATH_TAIL = 3;
    /** Tries to read a JDK collection that keeps changing under us before giving up. */
    private static final int READ_TRIES = 3;

    /**
     * The walk met an object it cannot see into, so it cannot tell whether the target is reached.
     */
    public static final class Unverifiable extends Exception {
        private static final long serialVersionUID = 1L;
        /** Where the walk stopped, e.g. {@code core.cache} (shortened like a found path). */
        public final String path;
        /** What it found there and why it cannot look further. */
        public final String reason;

        Unverifiable(String path, String reason) {
            super(path + " " + reason, null, false, false);
            this.path = path;
            this.reason = reason;
        }
    }

    private enum Kind { LEAF, FIELDS, ARRAY, ITERABLE, MAP, ENTRY, OPTIONAL, ATOMIC, ATOMIC_ARRAY, STAMPED, MARKABLE,
        REFERENCE, FIELDS_AND_REFERENT, REF, MONITOR, REFUSED }

    /** How to walk the instances of one class. */
    private static final class Plan {
        final Kind kind;
        final Field[] fields;
        final String refusal;

        Plan(Kind kind, Field[] fields, String refusal) {
            this.kind = kind;
            this.fields = fields;
            this.refusal = refusal;
        }
    }

    private static final Plan LEAF = new Plan(Kind.LEAF, null, null);

    private static final ClassValue<Plan> PLANS = new ClassValue<>() {
        @Override
        protected Plan computeValue(Class<?> c) {
            return plan(c);
        }
    };

    /** JDK classes whose instances hold no user object (values, counters, locks, I/O handles). */
    private static final Set<Class<?>> JDK_LEAVES = Set.of(
            Object.class, String.class, Boolean.class, Character.class, Byte.class, Short.class, Integer.class,
            Long.class, Float.class, Double.class, Void.class, java.math.BigInteger.class, java.math.BigDecimal.class,
            java.math.MathContext.class, java.util.UUID.class, java.net.URI.class, java.net.URL.class,
            java.util.Locale.class, java.util.Currency.class, java.util.regex.Pattern.class, java.io.File.class,
            java.io.FileDescriptor.class, java.io.FileInputStream.class, java.io.FileOutputStream.class,
            java.io.RandomAccessFile.class, java.util.OptionalInt.class, java.util.OptionalLong.class,
            java.util.OptionalDouble.class, StackTraceElement.class, java.util.Random.class,
            java.util.BitSet.class, StringBuilder.class, StringBuffer.class, ThreadLocal.class,
            java.util.concurrent.atomic.AtomicInteger.class, java.util.concurrent.atomic.AtomicLong.class,
            java.util.concurrent.atomic.AtomicBoolean.class, java.util.concurrent.atomic.AtomicIntegerArray.class,
            java.util.concurrent.atomic.AtomicLongArray.class, java.util.concurrent.atomic.LongAdder.class,
            java.util.concurrent.atomic.DoubleAdder.class, java.util.concurrent.CountDownLatch.class,
            java.util.concurrent.Semaphore.class, java.util.concurrent.locks.ReentrantLock.class,
            java.util.concurrent.locks.ReentrantReadWriteLock.class, java.util.concurrent.locks.StampedLock.class,
            java.lang.invoke.MethodType.class, java.net.InetSocketAddress.class, java.net.Inet4Address.class,
            java.net.Inet6Address.class);

    /** JDK supertypes whose JDK implementations hold no user object. */
    private static final List<Class<?>> JDK_LEAF_SUPERTYPES = List.of(
            java.nio.Buffer.class, java.nio.file.Path.class, java.nio.charset.Charset.class,
            java.nio.channels.FileChannel.class, java.nio.channels.SocketChannel.class,
            java.nio.channels.ServerSocketChannel.class, java.nio.channels.DatagramChannel.class,
            java.nio.channels.AsynchronousFileChannel.class, java.time.temporal.TemporalAccessor.class,
            java.time.temporal.TemporalAmount.class, java.time.ZoneId.class, java.time.Clock.class,
            java.lang.reflect.Member.class, java.lang.reflect.Parameter.class,
            java.lang.reflect.Type.class,
            // roots of their own: whatever they reach, any code can reach
            Thread.class, ThreadGroup.class, ClassLoader.class, Module.class, ModuleLayer.class);

    /** Concrete JDK collections whose iterators are plain JDK code over their own storage. */
    private static final Set<String> JDK_COLLECTIONS = Set.of(
            "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque", "java.util.Vector",
            "java.util.Stack", "java.util.HashSet", "java.util.LinkedHashSet", "java.util.TreeSet",
            "java.util.PriorityQueue", "java.util.Arrays$ArrayList",
            "java.util.ImmutableCollections$List12", "java.util.ImmutableCollections$ListN",
            "java.util.ImmutableCollections$SubList", "java.util.ImmutableCollections$Set12",
            "java.util.ImmutableCollections$SetN",
            "java.util.Collections$EmptyList", "java.util.Collections$EmptySet",
            "java.util.Collections$SingletonList", "java.util.Collections$SingletonSet",
            "java.util.concurrent.ConcurrentLinkedQueue", "java.util.concurrent.ConcurrentLinkedDeque",
            "java.util.concurrent.CopyOnWriteArrayList", "java.util.concurrent.CopyOnWriteArraySet",
            "java.util.concurrent.LinkedBlockingQueue", "java.util.concurrent.LinkedBlockingDeque",
            "java.util.concurrent.ArrayBlockingQueue", "java.util.concurrent.PriorityBlockingQueue",
            "java.util.concurrent.LinkedTransferQueue", "java.util.concurrent.SynchronousQueue",
            "java.util.concurrent.ConcurrentSkipListSet", "java.util.concurrent.ConcurrentHashMap$KeySetView",
            "java.util.RegularEnumSet", "java.util.JumboEnumSet");

    /** Concrete JDK maps whose entry iterators are plain JDK code over their own storage. */
    private static final Set<String> JDK_MAPS = Set.of(
            "java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.IdentityHashMap",
            "java.util.WeakHashMap", "java.util.Hashtable", "java.util.Properties", "java.util.EnumMap",
            "java.util.ImmutableCollections$Map1", "java.util.ImmutableCollections$MapN",
            "java.util.Collections$EmptyMap", "java.util.Collections$SingletonMap",
            "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.ConcurrentSkipListMap");

    private ReachWalk() {
    }

    /**
     * Whether {@code from} reaches {@code target} through the objects it holds, {@code from}
     * itself included.
     *
     * @param from where the walk starts (null reaches nothing)
     * @param target the object to look for, by identity
     * @param rootName how the path names {@code from}, e.g. "core"
     * @return a shortest path from {@code from} to {@code target} ("core.listener.owner",
     *     shortened in the middle when long), or null if {@code target} is not reached
     * @throws Unverifiable if the walk met an object it cannot see into before finding the target
     *     (it does not say "unreached" for what it did not see)
     */
    public static String reaches(Object from, Object target, String rootName) throws Unverifiable {
        return reaches(from, target, rootName, true);
    }

    /**
     * As {@link #reaches(Object, Object, String)}, choosing whether weak and soft references count.
     *
     * @param followWeak true to follow the referents of {@code java.lang.ref} references (a finalizer
     *     core: a referent handed out after death would resurrect its owner); false when only strong
     *     reachability matters (a weak-keyed map's value: a weak reference back to its key does not
     *     keep the key alive)
     */
    public static String reaches(Object from, Object target, String rootName, boolean followWeak)
            throws Unverifiable {
        if (from == null) {
            return null;
        }
        if (from == target) {
            return rootName;
        }
        if (PLANS.get(from.getClass()).kind == Kind.LEAF) {
            return null; // a value that holds no object (a string, a box, an id): no walk to allocate
        }
        Walk w = new Walk(target, rootName, followWeak);
        return w.run(from);
    }

    /** The state of one walk: visited objects in breadth-first order, with how each was reached. */
    private static final class Walk {
        final Object target;
        final String rootName;
        final ArrayList<Object> nodes = new ArrayList<>();
        /** Index of the node each node was reached from (-1 for the root). */
        int[] parent = new int[64];
        /** How each node was reached: a Field, an Integer index, or a String step. */
        final ArrayList<Object> step = new ArrayList<>();
        final IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        /** Whether referents of java.lang.ref references are followed. */
        final boolean followWeak;

        Walk(Object target, String rootName, boolean followWeak) {
            this.target = target;
            this.rootName = rootName;
            this.followWeak = followWeak;
        }

        String run(Object from) throws Unverifiable {
            if (from == target) {
                return rootName;
            }
            add(from, -1, null);
            for (int i = 0; i < nodes.size(); i++) {
                String found = expand(i);
                if (found != null) {
                    return found;
                }
            }
            return null;
        }

        /** @return the path if {@code o} is the target */
        private String add(Object o, int from, Object how) {
            if (o == null || seen.put(o, Boolean.TRUE) != null) {
                return null;
            }
            int idx = nodes.size();
            nodes.add(o);
            step.add(how);
            if (idx == parent.length) {
                parent = java.util.Arrays.copyOf(parent, idx * 2);
            }
            parent[idx] = from;
            return o == target ? path(idx) : null;
        }

        private String expand(int i) throws Unverifiable {
            Object o = nodes.get(i);
            Plan p = PLANS.get(o.getClass());
            String found = null;
            switch (p.kind) {
                case LEAF:
                    return null;
                case REFUSED:
                    throw new Unverifiable(path(i), p.refusal);
                case FIELDS:
                case FIELDS_AND_REFERENT:
                    for (Field f : p.fields) {
                        Object v;
                        try {
                            v = f.get(o);
                        } catch (IllegalAccessException e) {
                            throw new Unverifiable(path(i), "holds field " + f.getName() + " that safethread may not "
                                    + "read: open package " + f.getDeclaringClass().getPackageName()
                                    + " to org.safethread");
                        }
                        if ((found = add(v, i, f)) != null) {
                            return found;
                        }
                    }
                    return p.kind == Kind.FIELDS_AND_REFERENT && followWeak
                            ? add(((java.lang.ref.Reference<?>) o).get(), i, ".get()") : null;
                case ARRAY: {
                    Object[] a = (Object[]) o;
                    for (int k = 0; k < a.length; k++) {
                        if ((found = add(a[k], i, k)) != null) {
                            return found;
                        }
                    }
                    return null;
                }
                case MONITOR:
                    return add(MonitorAccess.targetOf(o), i, "");
                case REF:
                    return add(((Ref<?>) o).get(), i, ".get()");
                case OPTIONAL:
                    return add(((Optional<?>) o).orElse(null), i, ".get()");
                case ATOMIC:
                    return add(((AtomicReference<?>) o).get(), i, ".get()");
                case STAMPED:
                    return add(((AtomicStampedReference<?>) o).getReference(), i, ".getReference()");
                case MARKABLE:
                    return add(((AtomicMarkableReference<?>) o).getReference(), i, ".getReference()");
                case REFERENCE:
                    return followWeak ? add(((java.lang.ref.Reference<?>) o).get(), i, ".get()") : null;
                case ATOMIC_ARRAY: {
                    AtomicReferenceArray<?> a = (AtomicReferenceArray<?>) o;
                    for (int k = 0, n = a.length(); k < n; k++) {
                        if ((found = add(a.get(k), i, k)) != null) {
                            return found;
                        }
                    }
                    return null;
                }
                case ENTRY: {
                    Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                    if ((found = add(e.getKey(), i, ".getKey()")) != null) {
                        return found;
                    }
                    return add(e.getValue(), i, ".getValue()");
                }
                case ITERABLE:
                    return addAll(i, readElements((Collection<?>) o, i), false);
                case MAP:
                    return addAll(i, readEntries((Map<?, ?>) o, i), true);
                default:
                    throw new AssertionError(p.kind);
            }
        }

        private String addAll(int i, Object[] values, boolean map) {
            for (int k = 0; k < values.length; k++) {
                Object how = map ? (k % 2 == 0 ? ".key[" : ".value[") + (k / 2) + "]" : (Object) k;
                String found = add(values[k], i, how);
                if (found != null) {
                    return found;
                }
            }
            return null;
        }

        private Object[] readElements(Collection<?> c, int i) throws Unverifiable {
            for (int t = 0; t < READ_TRIES; t++) {
                try {
                    return c.toArray();
                } catch (RuntimeException changed) {
                    // changed while read: try again
                }
            }
            throw new Unverifiable(path(i), "(" + c.getClass().getName() + ") kept changing while safethread read it");
        }

        private Object[] readEntries(Map<?, ?> m, int i) throws Unverifiable {
            for (int t = 0; t < READ_TRIES; t++) {
                try {
                    ArrayList<Object> out = new ArrayList<>();
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        out.add(e.getKey());
                        out.add(e.getValue());
                    }
                    return out.toArray();
                } catch (RuntimeException changed) {
                    // changed while read: try again
                }
            }
            throw new Unverifiable(path(i), "(" + m.getClass().getName() + ") kept changing while safethread read it");
        }

        /** The path to node {@code idx}, shortened in the middle when long. */
        String path(int idx) {
            ArrayList<Object> steps = new ArrayList<>();
            for (int k = idx; k > 0 && parent[k] >= 0; k = parent[k]) {
                steps.add(step.get(k));
            }
            java.util.Collections.reverse(steps);
            StringBuilder sb = new StringBuilder(rootName);
            int n = steps.size();
            for (int k = 0; k < n; k++) {
                if (n > PATH_HEAD + PATH_TAIL + 1 && k == PATH_HEAD) {
                    sb.append(" ... (").append(n - PATH_HEAD - PATH_TAIL).append(" more steps) ... ");
                    k = n - PATH_TAIL - 1;
                    continue;
                }
                Object s = steps.get(k);
                if (s instanceof Field) {
                    sb.append('.').append(((Field) s).getName());
                } else if (s instanceof Integer) {
                    sb.append('[').append(s).append(']');
                } else {
                    sb.append(s);
                }
            }
            return sb.toString();
        }
    }

    // ---------------------------------------------------------------- plans

    static boolean isJdk(Class<?> c) {
        Module m = c.getModule();
        if (!m.isNamed() || m.getLayer() != ModuleLayer.boot()) {
            return false;
        }
        String n = m.getName();
        return n.startsWith("java.") || n.startsWith("jdk.");
    }

    private static Plan refused(String why) {
        return new Plan(Kind.REFUSED, null, why);
    }

    private static Plan plan(Class<?> c) {
        if (c.isArray()) {
            return c.getComponentType().isPrimitive() ? LEAF : new Plan(Kind.ARRAY, null, null);
        }
        if (c.isPrimitive() || c.isEnum() || (c.getSuperclass() != null && c.getSuperclass().isEnum())) {
            return LEAF; // enum constants are roots of their own
        }
        if (MonitorProxy.class.isAssignableFrom(c)) {
            return new Plan(Kind.MONITOR, null, null);
        }
        if (c == Ref.class) {
            return new Plan(Kind.REF, null, null);
        }
        if (c == ThreadState.class) {
            return LEAF; // the runtime's view of a thread: a root of its own
        }
        if (isJdk(c)) {
            return jdkPlan(c);
        }
        return fieldsPlan(c);
    }

    private static Plan jdkPlan(Class<?> c) {
        if (JDK_LEAVES.contains(c)) {
            return LEAF;
        }
        for (Class<?> s : JDK_LEAF_SUPERTYPES) {
            if (s.isAssignableFrom(c)) {
                return LEAF;
            }
        }
        String n = c.getName();
        if (JDK_COLLECTIONS.contains(n)) {
            return new Plan(Kind.ITERABLE, null, null);
        }
        if (JDK_MAPS.contains(n)) {
            return new Plan(Kind.MAP, null, null);
        }
        if (Map.Entry.class.isAssignableFrom(c)) {
            return new Plan(Kind.ENTRY, null, null);
        }
        if (c == Optional.class) {
            return new Plan(Kind.OPTIONAL, null, null);
        }
        if (c == AtomicReference.class) {
            return new Plan(Kind.ATOMIC, null, null);
        }
        if (c == AtomicReferenceArray.class) {
            return new Plan(Kind.ATOMIC_ARRAY, null, null);
        }
        if (c == AtomicStampedReference.class) {
            return new Plan(Kind.STAMPED, null, null);
        }
        if (c == AtomicMarkableReference.class) {
            return new Plan(Kind.MARKABLE, null, null);
        }
        if (java.lang.ref.Reference.class.isAssignableFrom(c)) {
            return new Plan(Kind.REFERENCE, null, null);
        }
        if (Collection.class.isAssignableFrom(c) || Map.class.isAssignableFrom(c)) {
            return refused("is a " + n + ", a view or wrapper whose contents safethread cannot read without "
                    + "calling into the collection it wraps: hold the collection itself, or an immutable copy "
                    + "(List.copyOf, Map.copyOf)");
        }
        return refused("is a " + n + ", whose contents safethread cannot inspect");
    }

    private static Plan fieldsPlan(Class<?> c) {
        List<Field> out = new ArrayList<>();
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            if (k == RefCounted.class) {
                break; // the runtime's bookkeeping (owner thread, extras): not what the object holds
            }
            if (isJdk(k)) {
                if (holdsNoReferences(k) || jdkPlan(k).kind == Kind.LEAF) {
                    break; // java.lang.Record, Number, AbstractList, ...: nothing of its own to read
                }
                if (java.lang.ref.Reference.class.isAssignableFrom(k) && !overridesGet(c)) {
                    // a user subclass of a JDK reference: its referent through the JDK's get()
                    Field[] fs = out.toArray(new Field[0]);
                    return new Plan(Kind.FIELDS_AND_REFERENT, fs, null);
                }
                return refused("is a " + c.getName() + ", which extends " + k.getName()
                        + ", whose contents safethread cannot inspect without calling methods "
                        + c.getSimpleName() + " may override");
            }
            try {
                for (Field f : k.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    f.setAccessible(true);
                    out.add(f);
                }
            } catch (InaccessibleObjectException | SecurityException e) {
                return refused("is a " + c.getName() + ", whose fields safethread may not read: open package "
                        + k.getPackageName() + " to org.safethread");
            }
        }
        return out.isEmpty() ? LEAF : new Plan(Kind.FIELDS, out.toArray(new Field[0]), null);
    }

    /** @return whether {@code k} and its superclasses declare no instance field of a reference type */
    private static boolean holdsNoReferences(Class<?> k) {
        for (Class<?> c = k; c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean overridesGet(Class<?> c) {
        for (Class<?> k = c; k != null && !isJdk(k); k = k.getSuperclass()) {
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals("get") && m.getParameterCount() == 0) {
                    return true;
                }
            }
        }
        return false;
    }
}
