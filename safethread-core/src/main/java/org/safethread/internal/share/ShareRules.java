package org.safethread.internal.share;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.safethread.Shareable;

/**
 * Decides what may cross between threads. The decision for a class is computed once by
 * reflection and cached ({@link ClassValue}); a value of a class that is always shareable costs
 * one cache lookup. Values whose shareability depends on their contents (records, immutable JDK
 * collections, {@link Optional}, lambdas, and the holders: {@code Ref}, the atomic reference
 * holders and the collections of {@code java.util.concurrent}) are checked element by element.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>The walk is iterative (an explicit stack) with no depth cap: a chain of any length is
 *       decided, costing heap rather than stack.</li>
 *   <li>Paths are kept as parent links, rendered only for a refusal; the message names the
 *       offending class and the first {@value #PATH_HEAD} and last {@value #PATH_TAIL} steps of the
 *       path, so it stays short whatever the depth.</li>
 *   <li>Immutable values (records, immutable collections, optionals) are built bottom-up and
 *       cannot form a cycle; a cycle must pass through a mutable holder, so holders are marked
 *       visited (identity) and each is checked once. Values of immutable kinds are not marked,
 *       which keeps the common record check free of a visited set.</li>
 *   <li>A holder is judged by what it holds when it is checked: a later {@code set} of an
 *       unshareable value into a shared holder is the program's to avoid (documented).</li>
 * </ul>
 *
 * <p>Checking never calls a method of a user class: record components and captured lambda values
 * are read from their fields, immutable collections are JDK classes iterated by JDK code.
 *
 * <h2>Implementation notes: types of the layers above</h2>
 * <p>This layer names no type of a layer above it. Those types declare their role here
 * themselves, in their class initializers: a value type every instance of which is shareable
 * ({@link #registerValueType}: {@code DeathQueue} and its {@code Handle}), a holder shareable
 * when its value is ({@link #registerHolder}: {@code Ref}, {@code WeakRef}), a marker supertype
 * every implementation of which is shareable ({@link #registerShareableSupertype}: monitor
 * proxies, registered by the class that defines them). A judgement is cached for good, so a
 * registration must precede any judgement of the type it concerns:
 * <ul>
 *   <li>a type of the public package ({@code org.safethread}) is initialized before it is
 *       judged ({@link #classify}), which runs its registration; those initializers run no user
 *       code;</li>
 *   <li>a marker supertype is registered by the one class that defines its implementations
 *       (before it defines the first), so no implementation is judged before it.</li>
 * </ul>
 * <p>The advice for a plain object may likewise come from above ({@link #registerPlainAdvice}):
 * the monitor layer knows when a plain object is a monitor's target, for which "make it a
 * monitor" is wrong (it is one; what crossed is the unguarded target, typically {@code this}
 * captured by a lambda or held by a record in a monitor method). It is asked only on a refusal,
 * per refused object, never for the cached verdict.
 * Registrations are copy-on-write arrays (a few entries, written at class initialization, read
 * by a plain scan): the decisions are exactly those the named types gave.
 */
public final class ShareRules {
    /** How a class's instances are judged. */
    enum Kind {
        /** Every instance is shareable. */
        ALWAYS,
        /** No instance is shareable. */
        NEVER,
        /** Shareable when every component field is. */
        RECORD,
        /** Shareable when every captured value is. */
        LAMBDA,
        /** An immutable JDK collection: shareable when every element is. */
        COLLECTION,
        /** An immutable JDK map (or entry): shareable when every key and value is. */
        MAP,
        /** {@link Optional}: shareable when its value is. */
        OPTIONAL,
        /**
         * A serializable lambda whose fields we may not read (defined in another module, e.g. the
         * JDK's {@code Comparator.comparing}): its captured values come from its serialized form.
         */
        SERIALIZED_LAMBDA,
        /** A mutable holder of one value ({@code Ref}, atomic reference holders): shareable when its value is. */
        HOLDER,
        /** {@code AtomicReferenceArray}: shareable when every element is. */
        HOLDER_ARRAY,
        /** A collection of {@code java.util.concurrent}: shareable when every element is. */
        CONCURRENT_COLLECTION,
        /** A map of {@code java.util.concurrent}: shareable when every key and value is. */
        CONCURRENT_MAP
    }

    /** Holders remembered in a plain array before a walk switches to an identity map: the common case allocates little. */
    private static final int FEW_HOLDERS = 8;
    /** Path steps shown from the start of a refused value's path: where the refusal begins. */
    private static final int PATH_HEAD = 4;
    /** Path steps shown at the end: the component that holds the offending value. */
    private static final int PATH_TAIL = 2;
    private static final Module JAVA_BASE = Object.class.getModule();

    private static final Set<Class<?>> JDK_VALUES = Set.of(
            Boolean.class, Character.class, Byte.class, Short.class, Integer.class, Long.class, Float.class,
            Double.class, String.class, Class.class, java.math.BigInteger.class, java.math.BigDecimal.class,
            java.math.MathContext.class, java.util.UUID.class, java.net.URI.class, java.net.URL.class,
            java.util.Locale.class, java.util.Currency.class, java.util.regex.Pattern.class, java.io.File.class,
            java.util.OptionalInt.class, java.util.OptionalLong.class, java.util.OptionalDouble.class,
            StackTraceElement.class, java.net.Inet4Address.class, java.net.Inet6Address.class,
            java.net.InetSocketAddress.class, java.lang.invoke.MethodType.class, Void.class);

    /** The public package: its types register their roles when initialized (see the class notes). */
    private static final String OWN_PUBLIC_PACKAGE = Shareable.class.getPackageName();
    /** Where this library's classes come from (a jar or a classes folder). */
    private static final CodeSource OWN_SOURCE = ShareRules.class.getProtectionDomain().getCodeSource();

    /** A registered holder type and how to read its value. */
    private static final class HolderType {
        final Class<?> type;
        final Function<Object, ?> value;

        HolderType(Class<?> type, Function<Object, ?> value) {
            this.type = type;
            this.value = value;
        }
    }

    /** Guards registration (a private lock: the class's own would be anyone's). */
    private static final Object REGISTRATION = new Object();
    // Copy-on-write, written under REGISTRATION, read without it.
    private static volatile Class<?>[] valueTypes = new Class<?>[0];
    private static volatile Class<?>[] shareableSupertypes = new Class<?>[0];
    private static volatile HolderType[] holderTypes = new HolderType[0];

    private static final Set<String> IMMUTABLE_COLLECTIONS = Set.of(
            "java.util.ImmutableCollections$List12", "java.util.ImmutableCollections$ListN",
            "java.util.ImmutableCollections$SubList", "java.util.ImmutableCollections$Set12",
            "java.util.ImmutableCollections$SetN", "java.util.Collections$EmptyList",
            "java.util.Collections$EmptySet", "java.util.Collections$SingletonList",
            "java.util.Collections$SingletonSet");

    private static final Set<String> IMMUTABLE_MAPS = Set.of(
            "java.util.ImmutableCollections$Map1", "java.util.ImmutableCollections$MapN",
            "java.util.Collections$EmptyMap", "java.util.Collections$SingletonMap", "java.util.KeyValueHolder");

    /** The cached judgement of one class. */
    static final class Rule {
        final Kind kind;
        /** Component or captured fields for RECORD and LAMBDA. */
        final Field[] fields;
        /** Why instances are refused (NEVER), phrased to follow "is not shareable". */
        final String reason;

        Rule(Kind kind, Field[] fields, String reason) {
            this.kind = kind;
            this.fields = fields;
            this.reason = reason;
        }
    }

    private static final ClassValue<Rule> RULES = new ClassValue<>() {
        @Override
        protected Rule computeValue(Class<?> c) {
            return classify(c);
        }
    };

    private ShareRules() {
    }

    /**
     * Declares that every instance of exactly {@code c} is shareable (a thread-safe or immutable
     * type of a layer above; its class initializer).
     */
    public static void registerValueType(Class<?> c) {
        synchronized (REGISTRATION) {
            Class<?>[] a = Arrays.copyOf(valueTypes, valueTypes.length + 1);
            a[a.length - 1] = c;
            valueTypes = a;
        }
    }

    /**
     * Declares that every instance of a class implementing {@code marker} is shareable (the class
     * that defines those implementations, before it defines the first).
     */
    public static void registerShareableSupertype(Class<?> marker) {
        synchronized (REGISTRATION) {
            Class<?>[] a = Arrays.copyOf(shareableSupertypes, shareableSupertypes.length + 1);
            a[a.length - 1] = marker;
            shareableSupertypes = a;
        }
    }

    /**
     * Declares that an instance of exactly {@code c} is a mutable holder of one value, shareable
     * when that value is (its class initializer).
     *
     * @param value reads the held value; must not block or call user code
     */
    @SuppressWarnings("unchecked")
    public static <H> void registerHolder(Class<H> c, Function<? super H, ?> value) {
        synchronized (REGISTRATION) {
            HolderType[] a = Arrays.copyOf(holderTypes, holderTypes.length + 1);
            a[a.length - 1] = new HolderType(c, (Function<Object, ?>) value);
            holderTypes = a;
        }
    }

    private static boolean contains(Class<?>[] types, Class<?> c) {
        for (Class<?> t : types) {
            if (t == c) {
                return true;
            }
        }
        return false;
    }

    private static HolderType holderType(Class<?> c) {
        for (HolderType h : holderTypes) {
            if (h.type == c) {
                return h;
            }
        }
        return null;
    }

    /**
     * Runs the class initializer of a type of the public package, so its registration is in (see
     * the class notes). Only this library's own classes: same package, loader and code source (a
     * jar or classes folder), never hidden (a user's class in a package of that name, a test's
     * lambda, is judged as it is, its initializer untouched).
     */
    private static void initializeOwnType(Class<?> c) {
        if (!c.isHidden() && c.getPackageName().equals(OWN_PUBLIC_PACKAGE)
                && c.getClassLoader() == ShareRules.class.getClassLoader()
                && Objects.equals(c.getProtectionDomain().getCodeSource(), OWN_SOURCE)) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("safethread internal error: cannot initialize " + c.getName(), e);
            }
        }
    }

    /** @return whether every instance of exactly {@code c} is shareable, so checks can be skipped */
    public static boolean alwaysShareable(Class<?> c) {
        return RULES.get(c).kind == Kind.ALWAYS;
    }

    /**
     * Whether a declared parameter or return type needs no run-time check: a final class whose
     * instances are all shareable (so the value is null or such an instance).
     */
    public static boolean staticallyShareable(Class<?> declared) {
        return declared.isPrimitive()
                || Modifier.isFinal(declared.getModifiers()) && !declared.isArray() && alwaysShareable(declared);
    }

    /**
     * @return whether {@code c} is an immutable container of the JDK that is shareable when its
     *     contents are: {@code Optional}, the {@code List.of}/{@code Set.of}/{@code Map.of} (and
     *     {@code copyOf}, empty, singleton) collections and maps, and their map entries. Their
     *     contents can be read with JDK code that calls no method of a user class.
     */
    public static boolean immutableContainer(Class<?> c) {
        Kind k = RULES.get(c).kind;
        // Kind.MAP also judges the (mutable, live) entries of java.util.concurrent maps: not those
        return k == Kind.OPTIONAL || k == Kind.COLLECTION
                || k == Kind.MAP && !c.getPackageName().startsWith("java.util.concurrent");
    }

    /** @return whether instances of exactly {@code c} can be shareable (judged by class alone) */
    public static boolean canBeShareable(Class<?> c) {
        return RULES.get(c).kind != Kind.NEVER;
    }

    /** @return whether {@code o} is shareable */
    public static boolean isShareable(Object o) {
        return o == null || RULES.get(o.getClass()).kind == Kind.ALWAYS || whyNot(o) == null;
    }

    /**
     * A cheap sufficient test for the common case of a task or value object: {@code o} is null, of
     * an always-shareable class, or a record or lambda whose every component or captured value is
     * null or of an always-shareable class (one level, no path strings built). False means "not
     * decided here": ask {@link #whyNot}.
     */
    public static boolean shareableAtOneLevel(Object o) {
        if (o == null) {
            return true;
        }
        Rule r = RULES.get(o.getClass());
        if (r.kind == Kind.ALWAYS) {
            return true;
        }
        if (r.kind != Kind.LAMBDA && r.kind != Kind.RECORD) {
            return false;
        }
        for (Field f : r.fields) {
            Object c;
            try {
                c = f.get(o);
            } catch (IllegalAccessException e) {
                return false;
            }
            if (c != null && RULES.get(c.getClass()).kind != Kind.ALWAYS) {
                return false;
            }
        }
        return true;
    }

    /**
     * @return null if {@code o} is shareable, else why not: the reason when {@code o} itself is
     *     refused ("a mutable or view collection: pass …"), or the path to the part that is
     *     ("record Transfer component items is java.util.ArrayList (…)")
     */
    public static String whyNot(Object o) {
        if (o == null) {
            return null;
        }
        return new Walk().run(o);
    }

    /**
     * One check: a stack of values to judge, each with the index of the step that reached it.
     * Steps are kept as (parent, label) pairs, labels as a Field, an Integer (element index) or
     * a String, and rendered only when a value is refused.
     */
    private static final class Walk {
        private Object[] stack = new Object[16];
        private int[] stackStep = new int[16];
        private int top;
        private final ArrayList<Object> labels = new ArrayList<>();
        private int[] parents = new int[16];
        /**
         * Holders already checked (identity; only holders can close a cycle): the first few in a
         * small array scanned linearly (a value usually holds one or two), then a map.
         */
        private Object[] fewHolders;
        private int fewCount;
        private java.util.IdentityHashMap<Object, Boolean> holders;

        private void push(Object v, int parentStep, Object label) {
            if (v == null) {
                return;
            }
            int step = labels.size();
            labels.add(label);
            if (step == parents.length) {
                parents = java.util.Arrays.copyOf(parents, step * 2);
            }
            parents[step] = parentStep;
            if (top == stack.length) {
                stack = java.util.Arrays.copyOf(stack, top * 2);
                stackStep = java.util.Arrays.copyOf(stackStep, top * 2);
            }
            stack[top] = v;
            stackStep[top++] = step;
        }

        String run(Object o) {
            push(o, -1, null);
            while (top > 0) {
                Object v = stack[--top];
                stack[top] = null;
                int at = stackStep[top];
                Rule r = RULES.get(v.getClass());
                switch (r.kind) {
                    case ALWAYS:
                        break;
                    case NEVER: {
                        String reason = PLAIN_OBJECT.equals(r.reason) ? plainReason(v) : r.reason; // the general rule's text: ask above
                        return at == 0 ? reason : path(at) + " is " + v.getClass().getName() + " (" + reason + ")";
                    }
                    case RECORD:
                    case LAMBDA:
                        for (Field f : r.fields) {
                            Object c;
                            try {
                                c = f.get(v);
                            } catch (IllegalAccessException e) {
                                return "the fields of " + v.getClass().getName() + " cannot be read: open package "
                                        + v.getClass().getPackageName() + " to org.safethread";
                            }
                            push(c, at, f);
                        }
                        break;
                    case COLLECTION: {
                        int i = 0;
                        for (Object e : (Collection<?>) v) {
                            push(e, at, i++);
                        }
                        break;
                    }
                    case MAP:
                        if (v instanceof Map.Entry) {
                            Map.Entry<?, ?> e = (Map.Entry<?, ?>) v;
                            push(e.getKey(), at, "entry key");
                            push(e.getValue(), at, "entry value");
                        } else {
                            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                                push(e.getKey(), at, "map key");
                                push(e.getValue(), at, "map value");
                            }
                        }
                        break;
                    case OPTIONAL:
                        push(((Optional<?>) v).orElse(null), at, "Optional value");
                        break;
                    case SERIALIZED_LAMBDA: {
                        java.lang.invoke.SerializedLambda sl = serializedForm(v);
                        if (sl == null) {
                            return extend(path(at), "lambda " + lambdaName(v.getClass()))
                                    + " could not be inspected: wrap it in a @Shareable class of your own";
                        }
                        for (int i = 0; i < sl.getCapturedArgCount(); i++) {
                            push(sl.getCapturedArg(i), at, "lambda " + lambdaName(v.getClass()) + " captured value " + i);
                        }
                        break;
                    }
                    case HOLDER:
                        if (firstVisit(v)) {
                            push(holderValue(v), at, v.getClass().getSimpleName() + " value");
                        }
                        break;
                    case HOLDER_ARRAY:
                        if (firstVisit(v)) {
                            java.util.concurrent.atomic.AtomicReferenceArray<?> a =
                                    (java.util.concurrent.atomic.AtomicReferenceArray<?>) v;
                            for (int i = 0, n = a.length(); i < n; i++) {
                                push(a.get(i), at, i);
                            }
                        }
                        break;
                    case CONCURRENT_COLLECTION:
                        if (firstVisit(v)) {
                            Object[] elements = ((Collection<?>) v).toArray(); // weakly consistent: JDK code only
                            for (int i = 0; i < elements.length; i++) {
                                push(elements[i], at, i);
                            }
                        }
                        break;
                    case CONCURRENT_MAP:
                        if (firstVisit(v)) {
                            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                                push(e.getKey(), at, "map key");
                                push(e.getValue(), at, "map value");
                            }
                        }
                        break;
                    default:
                        throw new AssertionError(r.kind);
                }
            }
            return null;
        }

        private boolean firstVisit(Object holder) {
            if (holders != null) {
                return holders.put(holder, Boolean.TRUE) == null;
            }
            if (fewHolders == null) {
                fewHolders = new Object[FEW_HOLDERS];
            }
            for (int i = 0; i < fewCount; i++) {
                if (fewHolders[i] == holder) {
                    return false;
                }
            }
            if (fewCount < FEW_HOLDERS) {
                fewHolders[fewCount++] = holder;
                return true;
            }
            holders = new java.util.IdentityHashMap<>();
            for (Object h : fewHolders) {
                holders.put(h, Boolean.TRUE);
            }
            return holders.put(holder, Boolean.TRUE) == null;
        }

        /** The steps from the checked value to step {@code at}, shortened in the middle when long. */
        private String path(int at) {
            ArrayList<String> steps = new ArrayList<>();
            for (int k = at; k > 0; k = parents[k]) {
                steps.add(render(labels.get(k)));
            }
            java.util.Collections.reverse(steps);
            int n = steps.size();
            if (n <= PATH_HEAD + PATH_TAIL + 1) {
                return String.join(", ", steps);
            }
            return String.join(", ", steps.subList(0, PATH_HEAD)) + ", ... (" + (n - PATH_HEAD - PATH_TAIL)
                    + " more steps) ..., " + String.join(", ", steps.subList(n - PATH_TAIL, n));
        }

        private static String render(Object label) {
            if (label instanceof Integer) {
                return "element " + label;
            }
            if (label instanceof Field) {
                Field f = (Field) label;
                Class<?> d = f.getDeclaringClass();
                return d.isRecord() || !d.isHidden()
                        ? "record " + d.getSimpleName() + " component " + f.getName()
                        : "lambda " + lambdaName(d) + " captured value " + f.getName();
            }
            return String.valueOf(label);
        }
    }

    private static Object holderValue(Object h) {
        HolderType t = holderType(h.getClass());
        if (t != null) {
            return t.value.apply(h);
        }
        if (h instanceof java.util.concurrent.atomic.AtomicReference) {
            return ((java.util.concurrent.atomic.AtomicReference<?>) h).get();
        }
        if (h instanceof java.util.concurrent.atomic.AtomicStampedReference) {
            return ((java.util.concurrent.atomic.AtomicStampedReference<?>) h).getReference();
        }
        return ((java.util.concurrent.atomic.AtomicMarkableReference<?>) h).getReference();
    }

    private static String extend(String path, String step) {
        return path.isEmpty() ? step : path + ", " + step;
    }

    private static String lambdaName(Class<?> c) {
        String n = c.getName();
        int i = n.indexOf("$$Lambda");
        return i > 0 ? "in " + n.substring(0, i) : n;
    }

    private static Rule always() {
        return new Rule(Kind.ALWAYS, null, null);
    }

    /** The reason a plain object is refused, unless the layer above knows better ({@link #plainReason}). */
    private static final String PLAIN_OBJECT = "plain objects are not shareable: make it a monitor (Monitor.of), an "
            + "immutable record, or annotate its class @Shareable if it is immutable or thread-safe";

    /** Set once by the monitor layer; null before any monitor class exists (no target to know of). */
    private static volatile Function<Object, String> plainAdvice;

    /**
     * Lets the layer above say why a particular plain object is refused (the monitor layer: it is
     * the target of a monitor), instead of the general advice.
     *
     * @param advice given a refused plain object, the reason to report, or null for the general
     *     one; called on the refusing thread; must not block or call user code
     */
    public static void registerPlainAdvice(Function<Object, String> advice) {
        plainAdvice = advice;
    }

    private static String plainReason(Object v) {
        Function<Object, String> f = plainAdvice;
        String better = f == null ? null : f.apply(v);
        return better != null ? better : PLAIN_OBJECT;
    }

    private static Rule never(String why) {
        return new Rule(Kind.NEVER, null, why);
    }

    static Rule classify(Class<?> c) {
        if (c.isArray()) {
            return never("arrays are mutable: pass List.of(...)/List.copyOf(...) instead");
        }
        initializeOwnType(c);
        for (Class<?> marker : shareableSupertypes) {
            if (marker.isAssignableFrom(c)) {
                return always();
            }
        }
        if (c.isAnnotationPresent(Shareable.class)) {
            return always();
        }
        if (JDK_VALUES.contains(c) || contains(valueTypes, c) || c.isEnum() || (c.getSuperclass() != null && c.getSuperclass().isEnum())) {
            return always();
        }
        if (c == org.safethread.CollectionResult.class || c == org.safethread.DeadlockException.Link.class) {
            return recordRule(c);
        }
        boolean jdk = c.getModule() == JAVA_BASE;
        String pkg = c.getPackageName();
        if (jdk) {
            if (pkg.startsWith("java.time")) {
                return Modifier.isFinal(c.getModifiers()) || !Modifier.isPublic(c.getModifiers())
                        ? always() : never("a mutable java.time subclass");
            }
            if (java.nio.file.Path.class.isAssignableFrom(c) || java.nio.charset.Charset.class.isAssignableFrom(c)) {
                return always();
            }
            if ((pkg.equals("java.util.concurrent") || pkg.equals("java.util.concurrent.atomic")
                    || pkg.equals("java.util.concurrent.locks")) && c != ThreadLocalRandom.class) {
                return concurrentRule(c);
            }
            if (c == Optional.class) {
                return new Rule(Kind.OPTIONAL, null, null);
            }
            if (IMMUTABLE_COLLECTIONS.contains(c.getName())) {
                return new Rule(Kind.COLLECTION, null, null);
            }
            if (IMMUTABLE_MAPS.contains(c.getName())) {
                return new Rule(Kind.MAP, null, null);
            }
        }
        if (holderType(c) != null) {
            return new Rule(Kind.HOLDER, null, null); // Ref, WeakRef: shareable when the referent is (a collected one is nothing)
        }
        if (c.isRecord()) {
            return recordRule(c);
        }
        if (c.isHidden() && c.getName().contains("$$Lambda")) {
            return capturedRule(c);
        }
        if (Collection.class.isAssignableFrom(c) || Map.class.isAssignableFrom(c)) {
            return never("a mutable or view collection: pass an immutable copy such as List.copyOf(...), "
                    + "Set.copyOf(...) or Map.copyOf(...)");
        }
        return never(PLAIN_OBJECT);
    }

    /**
     * The thread-safe classes of {@code java.util.concurrent}: shareable, but a holder of values
     * (atomic reference holders, concurrent collections and maps, their entries) only when what it
     * holds is. Other classes (locks, latches, executors, futures, atomic numbers) are shareable.
     */
    private static Rule concurrentRule(Class<?> c) {
        if (c == java.util.concurrent.atomic.AtomicReference.class
                || c == java.util.concurrent.atomic.AtomicStampedReference.class
                || c == java.util.concurrent.atomic.AtomicMarkableReference.class) {
            return new Rule(Kind.HOLDER, null, null);
        }
        if (c == java.util.concurrent.atomic.AtomicReferenceArray.class) {
            return new Rule(Kind.HOLDER_ARRAY, null, null);
        }
        if (Map.Entry.class.isAssignableFrom(c)) {
            return new Rule(Kind.MAP, null, null);
        }
        if (Map.class.isAssignableFrom(c)) {
            return new Rule(Kind.CONCURRENT_MAP, null, null);
        }
        if (Collection.class.isAssignableFrom(c)) {
            return new Rule(Kind.CONCURRENT_COLLECTION, null, null);
        }
        return always();
    }

    private static Rule recordRule(Class<?> c) {
        List<Field> fields = new ArrayList<>();
        try {
            for (RecordComponent rc : c.getRecordComponents()) {
                if (rc.getType().isPrimitive()) {
                    continue;
                }
                Field f = c.getDeclaredField(rc.getName());
                f.setAccessible(true);
                fields.add(f);
            }
        } catch (NoSuchFieldException | InaccessibleObjectException | SecurityException e) {
            return never("its components cannot be read (" + e.getMessage() + "): open package "
                    + c.getPackageName() + " to org.safethread");
        }
        if (fields.isEmpty() || componentsAlwaysShareable(c, new ArrayList<>())) {
            return always(); // the per-class verdict: no instance needs its components read
        }
        return new Rule(Kind.RECORD, fields.toArray(new Field[0]), null);
    }

    /**
     * Whether every instance of record {@code c} is shareable judged by its declared component
     * types alone: each is primitive, a final class every instance of which is shareable, an
     * enum, or (recursively) such a record. Decided without consulting {@link #RULES} for
     * records, so that records that name each other do not recurse into the class-value cache.
     */
    private static boolean componentsAlwaysShareable(Class<?> c, List<Class<?>> visiting) {
        if (visiting.contains(c) || visiting.size() > 16) {
            return false; // a recursive or deep record: judge instances one by one
        }
        visiting.add(c);
        for (RecordComponent rc : c.getRecordComponents()) {
            Class<?> t = rc.getType();
            if (t.isPrimitive() || t.isEnum() || JDK_VALUES.contains(t) && Modifier.isFinal(t.getModifiers())
                    || t.getModule() == JAVA_BASE && t.getPackageName().startsWith("java.time")
                    && Modifier.isFinal(t.getModifiers())) {
                continue;
            }
            if (t.isRecord() && componentsAlwaysShareable(t, visiting)) {
                continue;
            }
            if (t != c && !t.isRecord() && Modifier.isFinal(t.getModifiers()) && !t.isArray()
                    && t.isAnnotationPresent(Shareable.class)) {
                continue;
            }
            visiting.remove(visiting.size() - 1);
            return false;
        }
        visiting.remove(visiting.size() - 1);
        return true;
    }

    private static Rule capturedRule(Class<?> c) {
        List<Field> fields = new ArrayList<>();
        try {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                    continue;
                }
                f.setAccessible(true);
                fields.add(f);
            }
        } catch (InaccessibleObjectException | SecurityException e) {
            if (java.io.Serializable.class.isAssignableFrom(c)) {
                return new Rule(Kind.SERIALIZED_LAMBDA, null, null);
            }
            return never("a lambda defined in " + (c.getModule().isNamed() ? "module " + c.getModule().getName()
                    : "package " + c.getPackageName()) + ", whose captured values safethread may not read: "
                    + "wrap it in a @Shareable class of your own, or build it from a lambda of your own code"
                    + (c.getModule() == JAVA_BASE ? "" : " (or open package " + c.getPackageName()
                    + " to org.safethread)"));
        }
        return fields.isEmpty() ? always() : new Rule(Kind.LAMBDA, fields.toArray(new Field[0]), null);
    }

    /** Thrown by {@link #serializedForm} to stop serialization once the serialized form is seen. */
    private static final class Seen extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient java.lang.invoke.SerializedLambda form;

        Seen(java.lang.invoke.SerializedLambda form) {
            super(null, null, false, false);
            this.form = form;
        }
    }

    /**
     * The serialized form of a serializable lambda, obtained from the JDK-generated
     * {@code writeReplace} through an {@link java.io.ObjectOutputStream} that stops before writing
     * anything: no user code runs, and the captured values are not serialized.
     *
     * @return the form, or null if the lambda did not produce one
     */
    private static java.lang.invoke.SerializedLambda serializedForm(Object lambda) {
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(java.io.OutputStream.nullOutputStream()) {
            {
                enableReplaceObject(true);
            }

            @Override
            protected Object replaceObject(Object obj) {
                if (obj instanceof java.lang.invoke.SerializedLambda) {
                    throw new Seen((java.lang.invoke.SerializedLambda) obj);
                }
                return obj;
            }
        }) {
            out.writeObject(lambda);
            return null;
        } catch (Seen seen) {
            return seen.form;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
